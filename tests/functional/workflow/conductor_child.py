# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""A conductor process for the jobboard tests: ``brick-conductor``'s own
loop (:func:`brick.cmd.conductor.serve`) with the lab nodes of the test
site and a boot handler that logs every call to a file.

``python -m tests.functional.workflow.conductor_child DB_URL BOARD_URL
ROOT LOG [NAME] [SLOW_SECONDS]``
"""

import os
import sys
import time
import warnings

from brick.cmd import conductor
from tests.functional.workflow import site as site_mod

warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')


class LoggedHypervisor:
    """Appends ``start|boot|revert INSTANCE PID START END`` per call to
    *path* (``start`` when a boot begins, ``boot`` when it ends)
(one write per line, O_APPEND: lines of several processes never
    mix); a boot takes *slow* seconds."""

    def __init__(self, path, slow=0.0):
        self.path = path
        self.slow = slow

    def _log(self, verb, instance, start):
        line = '%s %s %d %.6f %.6f\n' % (verb, instance, os.getpid(),
                                        start, time.time())
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)

    def boot(self, instance, host, volumes):
        start = time.time()
        self._log('start', instance, start)
        for volume in volumes:
            assert os.path.exists(volume['path']), volume
        time.sleep(self.slow)
        self._log('boot', instance, start)
        return {'domain': instance, 'pid': os.getpid()}

    def revert(self, instance, host, volumes):
        self._log('revert', instance, time.time())


def configure(url, board, root, name='test'):
    conf = site_mod.make_conf(root, jobboard_url=board, owner_ttl=3.0)
    conf.set_override('connection', url, group='brick_database')
    conf.set_override('name', name, group='brick_conductor')
    conf.set_override('nodes', 'lab', group='brick_conductor')
    conf.set_override('lab_hosts', list(site_mod.HOSTS),
                      group='brick_conductor')
    conf.set_override('lab_pools', list(site_mod.POOLS),
                      group='brick_conductor')
    conf.set_override('claim_expiry', 2.0, group='brick_conductor')
    conf.set_override('poll_interval', 0.05, group='brick_conductor')
    return conf


def main(url, board, root, log, name='test', slow='0'):
    from brick.workflow import handlers

    hv = LoggedHypervisor(log, float(slow))
    handler = handlers.FunctionHandler(hv.boot, hv.revert)
    return conductor.serve(configure(url, board, root, name),
                           handlers={'hv': handler})


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
