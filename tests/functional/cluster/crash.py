# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""A control process of the cluster test that dies (SIGKILL) right after
its volumes were created on remote nodes.

``python -m tests.functional.cluster.crash CONF INSTANCE HOST...``
"""

import sys

import brick.conf
from brick import api as api_mod
from tests.functional.cluster import cluster
from tests.functional.workflow import fakes


def main(conf_path, instance, *hosts):
    api = api_mod.API(brick.conf.load([conf_path]))
    api.handlers.register('hv', fakes.Crash())
    api.boot_instance(instance, 'hv', size=cluster.SIZE, driver='raw',
                      hosts=list(hosts))
    return 1  # not reached: the handler killed us


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
