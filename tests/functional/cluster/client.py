# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""A client process of the cluster test: a compute and volume service
placing volumes and boots through brick's API, on remote nodes.

``python -m tests.functional.cluster.client CONF OUT INDEX COUNT``
writes one JSON line per placement to OUT: its consumer, ``committed``
(host and volumes) or ``failed`` (the brick error), and how many of its
creates failed on a host (and were retried elsewhere).  Anything but a
brick error ends the process with a traceback.
"""

import json
import sys
import time

import brick.conf
from brick import api as api_mod
from brick import exception
from tests.functional.cluster import cluster
from tests.functional.workflow import fakes


class SlowHypervisor(fakes.Hypervisor):
    """Boots take a little while, as real ones do."""

    def boot(self, instance, host, volumes):
        time.sleep(0.05)
        return super().boot(instance, host, volumes)


def main(conf_path, out_path, index, count):
    conf = brick.conf.load([conf_path])
    api = api_mod.API(conf)
    api.handlers.register('hv', SlowHypervisor())
    with open(out_path, 'w') as out:
        for n in range(int(count)):
            events = []
            kind = 'vm' if n % 2 else 'vol'
            consumer = 'c%s-%s%d' % (index, kind, n)
            record = {'consumer': consumer, 'kind': kind}
            try:
                if kind == 'vm':
                    placed = api.boot_instance(
                        consumer, 'hv', size=cluster.SIZE,
                        count=2 if n % 3 == 0 else 1, driver='raw',
                        listener=events.append)
                else:
                    placed = api.create_volume(consumer, size=cluster.SIZE,
                                               listener=events.append)
                record.update(outcome='committed', host=placed.host,
                              volumes=[[v.host, v.pool, v.name, v.path]
                                       for v in placed.volumes])
            except exception.BrickException as err:
                record.update(outcome='failed', error=type(err).__name__,
                              message=str(err))
            record['create_failures'] = sum(
                1 for e in events if e.state == 'FAILURE'
                and e.name.endswith('CreateVolumesTask'))
            out.write(json.dumps(record) + '\n')
            out.flush()
    api.close()
    return 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
