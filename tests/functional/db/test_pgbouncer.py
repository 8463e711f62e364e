# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Claims and placements through a real pgbouncer in transaction mode,
fewer server connections than clients: nothing that needs a session of
its own (a prepared statement, say) may be used."""

import multiprocessing
import uuid

import pytest

from brick import exception
from brick.db import engine
from brick.db import migration
from brick.inventory import allocations
from brick.inventory import hosts
from brick.inventory import pools
from brick.inventory import reservations
from brick.inventory import topology
from tests.functional import daemons
from tests.functional.db import servers

FORK = multiprocessing.get_context('fork')
MIB = 1 << 20
HOT = 60
WORKERS = 4


@pytest.fixture
def bouncer_url(postgresql_server):
    name = 'brick_%s' % uuid.uuid4().hex[:16]
    postgresql_server.create_database(name)
    try:
        with daemons.start(daemons.PgBouncer, postgresql_server,
                           pool_mode='transaction', pool_size=2) as bouncer:
            yield bouncer.database_url(name)
    except servers.Unavailable as err:
        pytest.skip('needs %s (tools/setup-host installs it)' % err.tool)
    finally:
        postgresql_server.drop_database(name)


def _claimer(url, pool_ids, results):
    db = engine.Database(url, pool_size=2, max_overflow=0,
                         claim_retry_interval=0.002, claim_retries=20)
    done = errors = 0
    try:
        for i in range(HOT):
            try:
                if i % 3:
                    # One volume: the one-statement path.
                    reservations.claim(db, 'c', [(pool_ids[0], MIB)])
                else:
                    # Two volumes, one request id: the transaction path.
                    rows = reservations.claim(
                        db, 'c', [(pool_ids[0], MIB), (pool_ids[1], MIB)])
                    reservations.commit(db, ids=[rows[0].id, rows[1].id])
                done += 1
            except exception.InsufficientCapacity:
                pass
            except exception.BrickException:
                errors += 1
    finally:
        db.dispose()
        results.put((done, errors))


def test_claims_through_pgbouncer_in_transaction_mode(bouncer_url):
    migration.upgrade(bouncer_url)
    db = engine.Database(bouncer_url)
    topology.create_zone(db, 'z')
    hosts.create_host(db, 'h', zone='z')
    hot = pools.create_pool(db, 'hot', 'raw', host='h', total=HOT * MIB)
    side = pools.create_pool(db, 'side', 'raw', host='h', total=1 << 40)
    db.dispose()
    results = FORK.Queue()
    workers = [FORK.Process(target=_claimer, args=(
        bouncer_url, [hot.id, side.id], results)) for _ in range(WORKERS)]
    for worker in workers:
        worker.start()
    found = [results.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join(60)
    assert sum(errors for _done, errors in found) == 0
    # Exactly the hot pool's room was taken, no more.
    assert sum(done for done, _errors in found) == HOT
    assert pools.get_pool(db, hot.id).used == HOT * MIB
    assert allocations.check(db) == []
    db.dispose()


def test_a_placement_through_pgbouncer(bouncer_url, tmp_path):
    from tests.functional.workflow import fakes
    from tests.functional.workflow import site as site_mod

    migration.upgrade(bouncer_url)
    db = engine.Database(bouncer_url)
    site = site_mod.Site(db, tmp_path)
    hv = fakes.Hypervisor()
    service = site.api(handlers={'hv': hv})
    try:
        for i in range(3):
            placed = service.boot_instance('vm%d' % i, 'hv', size=8 * MIB,
                                           count=2, driver='raw')
            site.assert_committed(placed)
        assert service.runner.unfinished() == []
    finally:
        site.close()
        db.dispose()
