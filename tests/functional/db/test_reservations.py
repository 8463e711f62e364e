# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Claims, commit, release, expiry and the usage check, per backend."""

import datetime
import threading
import time

import pytest

from brick import exception
from brick.db import engine
from brick.db import models
from brick.inventory import allocations
from brick.inventory import hosts
from brick.inventory import pools
from brick.inventory import reservations
from brick.inventory import topology
from tests.functional.db import conftest

Claim = reservations.Claim


@pytest.fixture
def two(db):
    """Two enabled pools of 100 bytes on one host; returns their ids."""
    topology.create_zone(db, 'z1')
    hosts.create_host(db, 'h1', zone='z1')
    a = pools.create_pool(db, 'a', 'raw', host='h1', total=100)
    b = pools.create_pool(db, 'b', 'raw', host='h1', total=100)
    return a.id, b.id


def used(db, pool_id):
    return pools.get_pool(db, pool_id).used


def test_claim_takes_space_until_the_pool_is_full(db, two):
    a, _ = two
    first = reservations.claim(db, 'vm1', [Claim(a, 60, 'disk0')])
    assert [(r.pool_id, r.size, r.volume, r.state) for r in first] == [
        (a, 60, 'disk0', 'reserved')]
    assert used(db, a) == 60
    with pytest.raises(exception.InsufficientCapacity) as caught:
        reservations.claim(db, 'vm2', [(a, 41)])
    assert caught.value.kwargs == {'pool': 'host:h1/a', 'requested': 41,
                                   'available': 40}
    reservations.claim(db, 'vm2', [(a, 40)])
    assert used(db, a) == 100
    assert pools.get_pool(db, a).generation == 2
    assert allocations.check(db) == []


def test_multi_volume_claim_is_all_or_nothing(db, two):
    a, b = two
    reservations.claim(db, 'vm0', [(b, 90)])
    before = conftest.snapshot(db)
    with pytest.raises(exception.InsufficientCapacity, match='host:h1/b'):
        reservations.claim(db, 'vm1', [(a, 50), (b, 20), (a, 10)])
    assert conftest.snapshot(db) == before
    taken = reservations.claim(db, 'vm1', [(b, 10), (a, 50), (a, 10)])
    assert [r.pool_id for r in taken] == [b, a, a]
    assert len({r.request_id for r in taken}) == 1
    assert (used(db, a), used(db, b)) == (60, 100)


def test_unit_rules_state_and_unknown_pools(db, two):
    a, b = two
    pools.update_pool(db, a, min_unit=10, max_unit=50, step=5)
    before = conftest.snapshot(db)
    for size, match in ((5, 'too small'), (55, 'too large'),
                        (12, 'not aligned to 5')):
        with pytest.raises(exception.InvalidSize, match=match):
            reservations.claim(db, 'vm', [(a, size)])
    pools.update_pool(db, b, state='disabled')
    before = conftest.snapshot(db)
    with pytest.raises(exception.PoolUnavailable, match='disabled'):
        reservations.claim(db, 'vm', [(b, 1)])
    with pytest.raises(exception.PoolNotFound):
        reservations.claim(db, 'vm', [(9999, 1)])
    for items, error in (([(a, -1)], exception.InvalidSize),
                         ([(a, 0)], exception.InvalidSize),
                         ([(a, 1.5)], exception.InvalidSize),
                         ([], exception.InvalidInput),
                         ([('a', 1)], exception.InvalidValue)):
        with pytest.raises(error):
            reservations.claim(db, 'vm', items)
    with pytest.raises(exception.InvalidValue, match='consumer'):
        reservations.claim(db, '', [(a, 10)])
    assert conftest.snapshot(db) == before
    reservations.claim(db, 'vm', [(a, 50)])


def test_max_volume_from_the_node_limits_single_volumes(db, two):
    a, _ = two
    pools.update_pool(db, a, max_volume=30)
    with pytest.raises(exception.InsufficientCapacity,
                       match='30 bytes available'):
        reservations.claim(db, 'vm', [(a, 31)])
    reservations.claim(db, 'vm', [(a, 30), (a, 30)])


def test_commit_and_release_are_idempotent(db, two):
    a, b = two
    taken = reservations.claim(db, 'vm1', [(a, 10), (b, 20)])
    request = taken[0].request_id
    made = reservations.commit(db, request_id=request)
    assert sorted((x.pool_id, x.size, x.consumer) for x in made) == [
        (a, 10, 'vm1'), (b, 20, 'vm1')]
    again = reservations.commit(db, [r.id for r in taken])
    assert again == made
    # Releasing a committed reservation keeps its allocation.
    assert reservations.release(db, request_id=request) == 0
    assert (used(db, a), used(db, b)) == (10, 20)
    assert [r.state for r in reservations.list_reservations(
        db, request_id=request)] == ['committed', 'committed']
    # Freeing the allocations gives the space back, once.
    assert allocations.free(db, consumer='vm1') == 30
    assert allocations.free(db, consumer='vm1') == 0
    assert (used(db, a), used(db, b)) == (0, 0)

    other = reservations.claim(db, 'vm2', [(a, 5)])
    assert reservations.release(db, [other[0].id]) == 1
    assert reservations.release(db, [other[0].id]) == 0
    assert reservations.release(db, ['no-such-id']) == 0
    assert used(db, a) == 0
    with pytest.raises(exception.ReservationExpired, match='released'):
        reservations.commit(db, [other[0].id])
    with pytest.raises(exception.ReservationNotFound):
        reservations.commit(db, ['no-such-id'])
    with pytest.raises(exception.ReservationNotFound):
        reservations.commit(db, request_id='no-such-request')
    assert allocations.check(db) == []


def test_repeating_a_claim_with_its_request_id_returns_it(db, two):
    a, b = two
    first = reservations.claim(db, 'vm', [(a, 10), (b, 5)],
                               request_id='req-1')
    again = reservations.claim(db, 'vm', [(b, 5), (a, 10)],
                               request_id='req-1')
    assert sorted(first, key=lambda r: r.id) == sorted(again,
                                                       key=lambda r: r.id)
    assert (used(db, a), used(db, b)) == (10, 5)
    with pytest.raises(exception.Conflict, match='req-1'):
        reservations.claim(db, 'vm', [(a, 11)], request_id='req-1')


def test_expiry_reaping_and_commit_after_expiry(db, two):
    a, b = two
    short = reservations.claim(db, 'vm1', [(a, 30)], ttl=60)
    reservations.claim(db, 'vm2', [(b, 30)], ttl=3600)
    later = engine.utcnow() + datetime.timedelta(seconds=120)
    assert reservations.reap(db, now=later) == 1
    assert reservations.reap(db, now=later) == 0
    assert (used(db, a), used(db, b)) == (0, 30)
    with pytest.raises(exception.ReservationExpired, match='expired'):
        reservations.commit(db, [short[0].id])
    assert reservations.release(db, [short[0].id]) == 0


def test_past_expiry_cannot_be_committed_before_the_reaper_runs(db, two):
    a, _ = two
    taken = reservations.claim(db, 'vm', [(a, 30)], ttl=0.001)
    time.sleep(0.01)
    before = conftest.snapshot(db)
    with pytest.raises(exception.ReservationExpired, match='past its'):
        reservations.commit(db, [taken[0].id])
    assert conftest.snapshot(db) == before


def test_a_full_pool_reaps_its_expired_reservations_and_retries(db, two):
    a, _ = two
    reservations.claim(db, 'old', [(a, 80)], ttl=0.001)
    time.sleep(0.01)
    assert used(db, a) == 80  # expired, not reaped: still counted
    taken = reservations.claim(db, 'new', [(a, 90)])
    assert used(db, a) == 90 and taken[0].consumer == 'new'
    assert [r.state for r in reservations.list_reservations(
        db, consumer='old')] == ['expired']


def test_purge_keeps_committed_answers(db, two):
    a, _ = two
    taken = reservations.claim(db, 'vm', [(a, 10)])
    made = reservations.commit(db, [taken[0].id])
    gone = reservations.claim(db, 'vm', [(a, 10)])
    reservations.release(db, [gone[0].id])
    assert reservations.purge(db, older_than=-60) == 2
    assert reservations.list_reservations(db) == []
    assert reservations.commit(db, [taken[0].id]) == made
    with pytest.raises(exception.ReservationNotFound):
        reservations.commit(db, [gone[0].id])


def test_check_and_reconcile_repair_a_wrong_counter(db, two):
    a, b = two
    reservations.claim(db, 'vm', [(a, 10), (b, 20)])
    taken = reservations.claim(db, 'vm', [(a, 5)])
    reservations.commit(db, [taken[0].id])
    assert allocations.check(db) == []
    with db.begin() as conn:
        conn.execute(models.pools.update().where(
            models.pools.c.id == a).values(used=99))
    assert allocations.check(db) == [allocations.Mismatch(a, 99, 15)]
    assert allocations.reconcile(db) == [allocations.Mismatch(a, 99, 15)]
    assert allocations.check(db) == [] and used(db, a) == 15


def test_a_lock_timeout_is_retried_in_a_fresh_transaction(database_url,
                                                          two):
    """Another transaction holds the pool's row; the claim's first
    attempts time out on the lock and a later one succeeds."""
    a, _ = two
    holder = engine.Database(database_url)
    claimer = engine.Database(database_url, lock_timeout=0.2,
                              claim_retries=20, claim_retry_interval=0.05)
    stats = engine.RetryStats()
    locked = threading.Event()

    def hold():
        with holder.begin() as conn:
            conn.execute(models.pools.update().where(
                models.pools.c.id == a).values(cost=1))
            locked.set()
            time.sleep(1.5)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        locked.wait(10)
        taken = reservations.claim(claimer, 'vm', [(a, 10)], stats=stats)
    finally:
        thread.join()
        holder.dispose()
        claimer.dispose()
    assert taken[0].size == 10
    assert stats.conflicts >= 1 and stats.attempts == stats.conflicts + 1


def test_retries_run_out_with_a_concurrent_update_error(database_url, db,
                                                        two):
    a, _ = two
    holder = engine.Database(database_url)
    claimer = engine.Database(database_url, lock_timeout=0.1,
                              claim_retries=1, claim_retry_interval=0)
    try:
        with holder.begin() as conn:
            conn.execute(models.pools.update().where(
                models.pools.c.id == a).values(cost=1))
            with pytest.raises(exception.ConcurrentUpdate, match='2 '):
                reservations.claim(claimer, 'vm', [(a, 10)])
    finally:
        holder.dispose()
        claimer.dispose()
    assert reservations.list_reservations(db) == []


def test_settle_commits_and_releases_in_one_go_idempotently(db, two):
    a, b = two
    chosen = reservations.claim(db, 'vm1', [(a, 10), (b, 20)])
    other = reservations.claim(db, 'vm1', [(a, 30)])
    keep = [r.id for r in chosen]
    done = reservations.settle(db, commit=keep, release=[other[0].id])
    assert sorted((x.pool_id, x.size) for x in done.allocations) == [
        (a, 10), (b, 20)]
    assert done.released == [other[0].id]
    assert (used(db, a), used(db, b)) == (10, 20)
    # Again (a resumed flow reruns its last task): nothing changes.
    again = reservations.settle(db, commit=keep, release=[other[0].id])
    assert again.allocations == done.allocations
    assert again.released == []
    assert (used(db, a), used(db, b)) == (10, 20)
    assert allocations.check(db) == []


def test_settle_releases_nothing_when_the_commit_fails(db, two):
    a, b = two
    expired = reservations.claim(db, 'vm1', [(a, 10)])
    other = reservations.claim(db, 'vm1', [(b, 20)])
    reservations.release(db, [expired[0].id])
    with pytest.raises(exception.ReservationExpired, match='released'):
        reservations.settle(db, commit=[expired[0].id],
                            release=[other[0].id])
    assert [r.state for r in reservations.list_reservations(
        db, request_id=other[0].request_id)] == ['reserved']
    assert (used(db, a), used(db, b)) == (0, 20)
    with pytest.raises(exception.ReservationNotFound):
        reservations.settle(db, commit=['no-such-id'])


@pytest.mark.parametrize('commit, release', [
    ('one-id', ()), ([], ()), (['x'], ['x']), (['x'], [7])])
def test_settle_rejects_bad_id_lists(db, commit, release):
    with pytest.raises(exception.InvalidValue):
        reservations.settle(db, commit=commit, release=release)


def test_allocations_are_found_by_volume_name(db, two):
    a, b = two
    taken = reservations.claim(db, 'vm1', [(a, 10, 'vm1-disk1'),
                                           (b, 20, 'vm1-disk2')])
    reservations.commit(db, [r.id for r in taken])
    found = allocations.list_allocations(db, volume='vm1-disk2')
    assert [(x.pool_id, x.size, x.volume) for x in found] == [
        (b, 20, 'vm1-disk2')]
    assert allocations.list_allocations(db, volume='ghost') == []
