# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""A brick-node process whose raw pool, with ``slow``, writes a new
volume and then takes a minute to finish creating it: a node that dies
mid-create, when the test kills it.

``python -m tests.functional.node.slow_node CONF slow|normal``
"""

import signal
import sys
import threading
import time

import brick.conf
from brick.drivers import raw
from brick.local import executor as executor_mod
from brick.node import agent as agent_mod
from brick.node import service as service_mod


class SlowRawDriver(raw.RawDriver):
    def _create(self, name, size):
        volume = super()._create(name, size)
        time.sleep(60)
        return volume


def main(conf_path, mode):
    conf = brick.conf.load([conf_path])
    cls = SlowRawDriver if mode == 'slow' else raw.RawDriver
    group = conf.brick_node
    path = conf.brick.data_dir + '/pools/raw'
    node = agent_mod.NodeAgent(group.host, {'raw': cls(
        executor_mod.Executor(), 'raw', path)})
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_args: stop.set())
    service = service_mod.NodeService(conf, node).start()
    print('serving', flush=True)
    try:
        stop.wait()
    finally:
        service.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
