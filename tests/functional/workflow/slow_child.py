# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""A process with a slow boot: its handler creates FLAGS/started, then
waits (up to a minute) for FLAGS/release before it returns.  Run it
under ``unshare --uts`` to give it another host name.

``python -m tests.functional.workflow.slow_child DB_URL ROOT FLAGS``
"""

import os
import socket
import sys
import time
import warnings

from brick import units
from brick.db import engine
from tests.functional.workflow import site as site_mod

warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')


def main(url, root, flags):
    def boot(instance, host, volumes):
        with open(os.path.join(flags, 'started'), 'w') as started:
            started.write(socket.gethostname())
        deadline = time.monotonic() + 60
        while not os.path.exists(os.path.join(flags, 'release')):
            if time.monotonic() > deadline:
                raise RuntimeError('never released')
            time.sleep(0.05)
        return {'booted_on': socket.gethostname()}

    db = engine.Database(url)
    service = site_mod.Site(db, root).api(handlers={'hv': boot},
                                          owner_ttl=2.0)
    try:
        service.boot_instance('vm-slow', 'hv', size=8 * units.Mi,
                              driver='raw')
    finally:
        service.close()
    return 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
