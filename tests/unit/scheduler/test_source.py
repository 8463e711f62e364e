# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The cache kept fresh from the real inventory (SQLite), and the
selector deciding on it."""

import datetime

import pytest
import sqlalchemy as sa

from brick import exception
from brick import units
from brick.db import engine
from brick.db import migration
from brick.db import models
from brick.inventory import allocations
from brick.inventory import hosts
from brick.inventory import pools
from brick.inventory import reservations
from brick.inventory import topology
from brick.scheduler import cache as cache_mod
from brick.scheduler import request
from brick.scheduler import selector as selector_mod
from brick.scheduler import settings as settings_mod
from brick.scheduler import source as source_mod

G = units.Gi


@pytest.fixture
def db(tmp_path):
    database = engine.Database('sqlite:///%s' % (tmp_path / 'brick.sqlite'))
    migration.upgrade(database)
    topology.create_zone(database, 'z1')
    topology.create_rack(database, 'r1', 'z1')
    topology.create_rack(database, 'r2', 'z1')
    hosts.create_host(database, 'h1', rack='r1')
    hosts.create_host(database, 'h2', rack='r1')
    hosts.create_host(database, 'h3', rack='r2')
    pools.create_pool(database, 'lvm', 'lvm', host='h1', total=100 * G,
                      tags=['ssd'])
    pools.create_pool(database, 'lvm', 'lvm', host='h2', total=100 * G)
    pools.create_pool(database, 'thin', 'lvm-thin', host='h3', total=100 * G,
                      allocation_ratio=2.0)
    pools.create_pool(database, 'nfs', 'qcow2', rack='r1', total=500 * G)
    try:
        yield database
    finally:
        database.dispose()


def _age_everything(db):
    """Make every row look long unchanged, as on a quiet site."""
    old = engine.utcnow() - datetime.timedelta(hours=1)
    with db.begin() as conn:
        conn.execute(models.pools.update().values(updated_at=old))
        conn.execute(models.hosts.update().values(updated_at=old))


def _pool_id(db, key):
    return next(p.id for p in pools.list_pools(db) if p.key == key)


def test_first_refresh_loads_everything(db):
    cache = cache_mod.StateCache()
    stats = cache.refresh(source_mod.StoreSource(db))
    assert (stats.hosts, stats.pools) == (3, 4)
    assert sorted(cache.pools) == ['host:h1/lvm', 'host:h2/lvm',
                                   'host:h3/thin', 'rack:r1/nfs']
    thin = cache.pools['host:h3/thin']
    assert (thin.thin, thin.format, thin.capacity) == (True, 'raw', 200 * G)
    nfs = cache.pools['rack:r1/nfs']
    assert (nfs.scope, nfs.rack, nfs.zone, nfs.host) == ('rack', 'r1', 'z1',
                                                         None)
    assert (nfs.format, nfs.thin) == ('qcow2', True)
    assert cache.pools['host:h1/lvm'].tags == {'ssd'}
    assert cache.key_of(nfs.id) == 'rack:r1/nfs'


def test_refresh_reads_only_what_changed(db):
    cache, source = cache_mod.StateCache(), source_mod.StoreSource(db)
    cache.refresh(source)
    _age_everything(db)
    assert cache.refresh(source).pools == 0
    h2 = _pool_id(db, 'host:h2/lvm')
    reservations.claim(db, 'vm-1', [(h2, 30 * G, 'vol-1')])
    stats = cache.refresh(source)
    assert (stats.pools, stats.moved) == (1, 0)
    pool = cache.pools['host:h2/lvm']
    assert (pool.used, pool.volumes, pool.free) == (30 * G, 1, 70 * G)


def test_refresh_sees_retag_state_and_host_changes(db):
    cache, source = cache_mod.StateCache(), source_mod.StoreSource(db)
    cache.refresh(source)
    pools.update_pool(db, _pool_id(db, 'host:h2/lvm'), tags=['ssd', 'fast'],
                      cost=3.0)
    hosts.set_host_state(db, 'h3', 'disabled')
    stats = cache.refresh(source)
    assert stats.moved == 1
    fast = cache.columns.wanted_bits(['fast'])
    assert (cache.columns.pools.tags[cache.pools['host:h2/lvm'].index]
            & fast).any()
    assert cache.pools['host:h2/lvm'].cost == 3.0
    assert cache.hosts['h3'].state == 'disabled'


def test_incremental_refresh_notices_deleted_pools(db):
    cache, source = cache_mod.StateCache(), source_mod.StoreSource(db)
    cache.refresh(source)
    _age_everything(db)
    nfs = _pool_id(db, 'rack:r1/nfs')
    pools.delete_pool(db, nfs)
    stats = cache.refresh(source)              # incremental: a tombstone
    assert stats.removed == 1 and stats.pools == 0
    assert 'rack:r1/nfs' not in cache.pools
    assert cache.pools['host:h1/lvm'].index in cache.columns.live_pools()
    assert len(cache.columns.live_pools()) == len(cache.pools)
    # Created again under the same key: the old tombstone, re-read
    # within the margin, does not remove the new pool.
    pools.create_pool(db, 'nfs', 'qcow2', rack='r1', total=G)
    cache.refresh(source)
    cache.refresh(source)
    assert cache.pools['rack:r1/nfs'].total == G   # SQLite reused its id


def test_own_claims_then_store_agree(db):
    cache, source = cache_mod.StateCache(), source_mod.StoreSource(db)
    cache.refresh(source)
    selector = selector_mod.Selector(cache, settings_mod.Settings())
    spec = request.build({'brick:local_gb': '60', 'brick:driver': 'lvm'})
    decision = selector.select(spec)
    best = decision.best
    placement = best.placements[0]
    reserved = reservations.claim(db, 'vm-1', [(placement.pool_id,
                                                placement.size)])
    generation = pools.get_pool(db, placement.pool_id).generation
    selector.claim(best, {placement.pool: generation})
    # The next decision sees the claim at once, before any refresh...
    second = selector.select(spec)
    assert second.best.pools != best.pools
    # ...and a refresh neither loses nor double-counts it.
    cache.refresh(source)
    assert cache.pools[placement.pool].used == 60 * G
    assert not cache.pools[placement.pool].pending
    reservations.release(db, [r.id for r in reserved])
    cache.refresh(source)
    assert cache.pools[placement.pool].used == 0


def test_selector_refreshes_from_its_source(db):
    cache = cache_mod.StateCache()
    selector = selector_mod.Selector(
        cache, settings_mod.Settings(refresh_interval=0),
        source=source_mod.StoreSource(db))
    spec = request.build({'brick:local_gb': '10', 'brick:tags': 'new'})
    with pytest.raises(exception.NoValidHost):
        selector.select(spec)
    pools.update_pool(db, _pool_id(db, 'host:h2/lvm'), tags=['new'])
    assert selector.select(spec).best.pools == ('host:h2/lvm',)
    pools.update_pool(db, _pool_id(db, 'host:h1/lvm'), cost=9.0)
    assert selector.refresh().pools >= 1
    assert cache.pools['host:h1/lvm'].cost == 9.0


def test_locator_finds_volumes_and_consumers(db):
    cache = cache_mod.StateCache()
    cache.refresh(source_mod.StoreSource(db))
    h1, nfs = _pool_id(db, 'host:h1/lvm'), _pool_id(db, 'rack:r1/nfs')
    reserved = reservations.claim(db, 'vm-7', [(h1, G, 'root-7'),
                                               (nfs, G, 'data-7')])
    locator = source_mod.StoreLocator(db, cache)
    assert locator.locate('root-7') == ('host:h1/lvm',)
    assert set(locator.locate('vm-7')) == {'host:h1/lvm', 'rack:r1/nfs'}
    reservations.commit(db, [r.id for r in reserved])
    assert locator.locate('data-7') == ('rack:r1/nfs',)
    assert locator.locate('nothing') == ()
    selector = selector_mod.Selector(cache, locator=locator)
    cache.refresh(source_mod.StoreSource(db))
    spec = request.build({'brick:local_gb': '5', 'brick:driver': 'lvm'}, {
        'local_to_instance': 'vm-7', 'different_host': 'root-7',
        'locality': 'rack'})
    decision = selector.select(spec)
    assert decision.best.host == 'h1'
    assert decision.best.pools == ('host:h2/lvm',)
    assert 'instance vm-7 runs on h1' in decision.explanation.notes


def test_volume_counts(db):
    h2 = _pool_id(db, 'host:h2/lvm')
    done = reservations.claim(db, 'a', [(h2, G, 'v1'), (h2, G, 'v2')])
    reservations.commit(db, [r.id for r in done])
    reservations.claim(db, 'b', [(h2, G, 'v3')])
    gone = reservations.claim(db, 'c', [(h2, G, 'v4')])
    reservations.release(db, [r.id for r in gone])
    with db.begin(readonly=True) as conn:
        assert allocations.volume_counts(conn) == {h2: 3}
        assert allocations.volume_counts(conn, [h2, 999]) == {h2: 3}
        assert conn.scalar(sa.select(sa.func.count()).select_from(
            models.reservations)) == 4


def test_driver_traits():
    assert source_mod.driver_traits('qcow2') == ('qcow2', True)
    assert source_mod.driver_traits('lvm') == ('raw', False)
    assert source_mod.driver_traits('lvm-thin') == ('raw', True)
    assert source_mod.driver_traits('no-such-driver') == (None, False)


def test_selector_refresh_reads_outside_the_lock(db):
    cache, source = cache_mod.StateCache(), source_mod.StoreSource(db)
    selector = selector_mod.Selector(cache, settings_mod.Settings(),
                                     source=source)
    selector.refresh()

    class Watching:
        def changes(self, marker):
            # A decision could run now: the lock is free.
            assert selector.lock.acquire(blocking=False)
            selector.lock.release()
            return source.changes(marker)
    pools.update_pool(db, _pool_id(db, 'host:h2/lvm'), cost=4.0)
    selector.source = Watching()
    stats = selector.refresh()
    assert stats.pools >= 1 and stats.seconds > 0
    assert cache.pools['host:h2/lvm'].cost == 4.0


def test_a_refusal_is_made_on_fresh_state(db):
    # Another process held h2's whole pool when this cache was read, and
    # has let it go since; the refresh interval is long.
    h2 = _pool_id(db, 'host:h2/lvm')
    held = reservations.claim(db, 'vm-other', [(h2, 100 * G)])
    cache, source = cache_mod.StateCache(), source_mod.StoreSource(db)
    selector = selector_mod.Selector(
        cache, settings_mod.Settings(refresh_interval=3600), source=source)
    spec = request.build({'brick:local_gb': '60', 'brick:driver': 'lvm'},
                         hosts=('h2',))
    with pytest.raises(exception.NoValidHost):
        selector.select(spec)           # true: the pool is full
    reservations.release(db, [r.id for r in held])
    decision = selector.select(spec)    # refused on the old state, then
    assert decision.best.pools == ('host:h2/lvm',)     # decided afresh
