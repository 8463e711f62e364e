# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""A client process for the jobboard tests: posts COUNT boots (one 8 MiB
raw volume each, instances PREFIX-N) without waiting, then waits for
each outcome and prints one JSON line per placement.

``python -m tests.functional.workflow.client_child DB_URL BOARD_URL ROOT
PREFIX COUNT``
"""

import json
import sys
import warnings

from brick import api
from brick import exception
from brick import units
from tests.functional.workflow import conductor_child

warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')


def main(url, board, root, prefix, count):
    conf = conductor_child.configure(url, board, root)
    service = api.API(conf)
    try:
        posted = [service.boot_instance('%s-%d' % (prefix, i), 'hv',
                                        size=8 * units.Mi, driver='raw',
                                        wait=False)
                  for i in range(int(count))]
        for one in posted:
            try:
                placed = service.result(one.flow_id, timeout=180)
            except exception.BrickException as err:
                found = {'flow_id': one.flow_id, 'error': str(err)}
            else:
                found = {'flow_id': one.flow_id, 'consumer': placed.consumer,
                         'host': placed.host, 'boot': placed.boot,
                         'volumes': [v.path for v in placed.volumes]}
            print(json.dumps(found), flush=True)
    finally:
        service.close()
    return 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
