# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Many writers, one truth: no over-commit, no lost claim, on every backend.

OpenStack Placement 16.0.0 lets 100 clients claiming 10 GB each take
1,670 GB of a 1,000 GB provider (shared/research/openstack-placement.md
1.9.3).  These tests run that case and two harder mixes, and check the
result against every row and every worker's own account.
"""

import collections
import multiprocessing
import queue as queue_module
import random
import threading
import traceback

from brick import exception
from brick.db import engine
from brick.db import migration
from brick.inventory import allocations
from brick.inventory import hosts
from brick.inventory import pools
from brick.inventory import reservations
from brick.inventory import topology

FORK = multiprocessing.get_context('fork')
UNIT = 1 << 20
WORKERS = 8
TIMEOUT = 240


def _site(db, count, capacity):
    topology.create_zone(db, 'z1')
    hosts.create_host(db, 'h1', zone='z1')
    ids = [pools.create_pool(db, 'p%d' % index, 'raw', host='h1',
                             total=capacity).id for index in range(count)]
    db.dispose()  # nothing pooled may cross the fork
    return ids


def _worker(work, url, name, args, barrier, results):
    # Each process has its own engine; errors are reported, not lost.
    db = engine.Database(url, pool_size=1, max_overflow=0, claim_retries=50,
                         claim_retry_interval=0.005, lock_timeout=30)
    try:
        barrier.wait(60)
        results.put((name, work(db, name, *args), None))
    except Exception:
        results.put((name, None, traceback.format_exc()))
    finally:
        db.dispose()


def _run(url, work, args_for):
    barrier = FORK.Barrier(WORKERS)
    results = FORK.Queue()
    workers = [FORK.Process(target=_worker, args=(
        work, url, 'w%d' % index, args_for(index), barrier, results))
        for index in range(WORKERS)]
    for process in workers:
        process.start()
    try:
        outcome = {}
        for _ in workers:
            name, value, error = results.get(timeout=TIMEOUT)
            assert error is None, '%s failed:\n%s' % (name, error)
            outcome[name] = value
        return outcome
    finally:
        for process in workers:
            process.join(10)
            if process.is_alive():
                process.kill()
                process.join()


def _claim_until_full(db, name, pool_ids, seed):
    rng = random.Random(seed)
    open_pools = list(pool_ids)
    claimed = []
    while open_pools:
        pool_id = rng.choice(open_pools)
        size = rng.choice((1, 2, 3, 5)) * UNIT
        try:
            taken = reservations.claim(db, name, [(pool_id, size)])
        except exception.InsufficientCapacity:
            if size == UNIT:  # not even one unit left: this pool is full
                open_pools.remove(pool_id)
            continue
        claimed.append((taken[0].id, pool_id, size))
    return claimed


def test_eight_processes_fill_pools_exactly(db, database_url):
    capacity = 150 * UNIT
    pool_ids = _site(db, 3, capacity)
    outcome = _run(database_url, _claim_until_full,
                   lambda index: (pool_ids, index))
    rows = {r.id: r for r in reservations.list_reservations(db)}
    per_pool = collections.Counter()
    for name, claimed in outcome.items():
        for rid, pool_id, size in claimed:
            row = rows.pop(rid)  # every claim a worker saw is in the DB
            assert (row.pool_id, row.size, row.consumer) == (pool_id, size,
                                                             name)
            per_pool[pool_id] += size
        # Each process's own tally is what the DB holds for it.
        assert sum(size for _, _, size in claimed) == sum(
            r.size for r in reservations.list_reservations(db,
                                                           consumer=name))
    assert rows == {}  # and nothing the workers did not see
    for pool in pools.list_pools(db):
        # A worker stops on a pool only when one unit no longer fits:
        # full to the byte, never beyond.
        assert pool.used == per_pool[pool.id] == pool.capacity == capacity
    assert allocations.check(db) == []


def _claim_requests(db, name, pool_ids, seed):
    rng = random.Random(seed)
    done, failed, misses = [], [], 0
    while misses < 25:
        items = [(rng.choice(pool_ids), rng.choice((1, 2, 3)) * UNIT)
                 for _ in range(rng.choice((2, 3)))]
        request = '%s-%d' % (name, len(done) + len(failed))
        try:
            reservations.claim(db, name, items, request_id=request)
        except exception.InsufficientCapacity:
            failed.append(request)
            misses += 1
            continue
        done.append((request, sorted(items)))
        misses = 0
    return done, failed


def test_multi_volume_claims_are_all_or_nothing_under_load(db,
                                                           database_url):
    capacity = 120 * UNIT
    pool_ids = _site(db, 4, capacity)
    outcome = _run(database_url, _claim_requests,
                   lambda index: (pool_ids, 100 + index))
    by_request = collections.defaultdict(list)
    for row in reservations.list_reservations(db):
        by_request[row.request_id].append((row.pool_id, row.size))
    per_pool = collections.Counter()
    for done, failed in outcome.values():
        for request, items in done:
            assert sorted(by_request.pop(request)) == items
            for pool_id, size in items:
                per_pool[pool_id] += size
        for request in failed:
            assert request not in by_request  # no partial request
    assert by_request == {}
    assert sum(len(done) for done, _ in outcome.values()) > 0
    for pool in pools.list_pools(db):
        assert pool.used == per_pool[pool.id] <= pool.capacity
    assert allocations.check(db) == []


def test_hundred_writers_on_one_pool_never_over_commit(database_url):
    """Placement's failing case: 1,000 units, claims of 10, 100 clients."""
    db = engine.Database(database_url, pool_size=100, max_overflow=10,
                         claim_retries=50, claim_retry_interval=0.005,
                         lock_timeout=60, pool_timeout=120)
    migration.upgrade(db)
    size = 10 * UNIT
    (pool_id,) = _site(db, 1, 1000 * UNIT)
    barrier = threading.Barrier(100)
    outcome = queue_module.Queue()

    def writer(index):
        try:
            barrier.wait(60)
            for attempt in range(3):
                try:
                    reservations.claim(db, 'c%d-%d' % (index, attempt),
                                       [(pool_id, size)])
                    outcome.put('claimed')
                except exception.InsufficientCapacity:
                    outcome.put('full')
        except Exception:
            outcome.put(traceback.format_exc())

    threads = [threading.Thread(target=writer, args=(index,))
               for index in range(100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    try:
        results = collections.Counter(outcome.get_nowait()
                                      for _ in range(outcome.qsize()))
        assert set(results) <= {'claimed', 'full'}, results
        assert results == {'claimed': 100, 'full': 200}
        pool = pools.get_pool(db, pool_id)
        assert pool.used == pool.capacity == 1000 * UNIT
        assert sum(r.size for r in reservations.list_reservations(db)) == \
            1000 * UNIT
        assert allocations.check(db) == []
    finally:
        db.dispose()
