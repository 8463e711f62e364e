# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Many flows at once on a small cluster: no pool over-committed, every
flow committed or cleanly failed."""

import concurrent.futures

from brick import exception
from brick import units
from brick.inventory import allocations
from brick.inventory import pools
from tests.functional.workflow import fakes
from tests.functional.workflow import site as site_mod

TOTAL = 64 * units.Mi
SIZE = 16 * units.Mi
FLOWS = 24
THREADS = 8


def test_parallel_boots_never_overcommit(site):
    def small(host):
        return {host: {'raw': fakes.SmallRawDriver(site.path(host, 'raw'),
                                                   TOTAL)}}
    replace = {}
    for host in site_mod.HOSTS:
        replace.update(small(host))
    hv = fakes.Hypervisor()
    # Two services on one database, as two processes would be: each
    # one's cache misses the other's claims until it refreshes.
    services = [site.api(replace=replace, handlers={'hv': hv},
                         refresh_interval=0.05) for _ in range(2)]

    def boot(i):
        try:
            return services[i % 2].boot_instance(
                'vm%02d' % i, 'hv', size=SIZE, driver='raw')
        except (exception.Conflict, exception.PlacementFailed) as err:
            return err

    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(boot, range(FLOWS)))
    placed = [o for o in outcomes if not isinstance(o, Exception)]
    # A flow may fail while others' runner-up reservations hold space;
    # then one by one, what is left must still be placeable: nothing
    # leaked.  3 hosts x 64 MiB hold exactly 12 volumes of 16 MiB.
    fits = len(site_mod.HOSTS) * TOTAL // SIZE
    assert 0 < len(placed) <= fits
    for i in range(FLOWS, FLOWS + fits + 1):
        outcome = boot(i)
        if isinstance(outcome, exception.NoValidHost):
            break
        placed.append(outcome)
    assert len(placed) == fits
    for one in placed:
        site.assert_committed(one)
    for pool in pools.list_pools(site.db):
        held = sum(a.size for a in site.allocations() if a.pool_id == pool.id)
        assert held <= pool.capacity
    files = site.files()
    assert sum(len(names) for names in files.values()) == len(placed)
    assert sorted(hv.running) == sorted(one.consumer for one in placed)
    assert site.live() == []
    assert allocations.check(site.db) == []
    assert services[0].runner.unfinished() == []
