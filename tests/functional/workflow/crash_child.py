# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Child process of ``test_resume``: starts a boot whose handler kills
the process with SIGKILL, after the volumes were created.

``python -m tests.functional.workflow.crash_child DB_URL ROOT``
"""

import sys

from brick import units
from brick.db import engine
from tests.functional.workflow import fakes
from tests.functional.workflow import site as site_mod


def main(url, root):
    db = engine.Database(url)
    service = site_mod.Site(db, root).api(handlers={'hv': fakes.Crash()})
    service.boot_instance('vm1', 'hv', size=8 * units.Mi, count=2,
                          driver='raw')
    return 1  # not reached: the handler killed us


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
