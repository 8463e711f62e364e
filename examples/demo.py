# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""brick embedded in a compute service and a volume service, on this
machine: three directory-backed hosts in two racks, real qcow2 and raw
volumes, one SQLite file, no configuration.

Run: ``python examples/demo.py [--data-dir D]`` (default: a temporary
directory, removed at exit; with ``--data-dir`` a second run adds to
the first).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cluster  # noqa: E402
import compute_service  # noqa: E402
import volume_service  # noqa: E402

from brick.inventory import allocations  # noqa: E402


def main():
    args = cluster.parse_args(__doc__)
    with cluster.data_dir(args) as data_dir:
        print('site in %s: hosts %s in rack1, rack1, rack2; pools %s' % (
            data_dir, ', '.join(cluster.HOSTS), ', '.join(cluster.POOLS)))
        service = cluster.start(data_dir)
        try:
            small, _big = compute_service.run(service)
            volume_service.run(service, instance=small.consumer)
            held = allocations.list_allocations(service.db)
            print('inventory: %d allocation(s), %d MiB committed; '
                  'usage check: %s' % (
                      len(held), sum(a.size for a in held) >> 20,
                      'ok' if not allocations.check(service.db)
                      else 'MISMATCH'))
        finally:
            service.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
