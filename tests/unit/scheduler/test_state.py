# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The state cache: columns, incremental updates, claims in flight."""

import pytest

from brick import exception
from brick import units
from brick.scheduler import cache as cache_mod
from brick.scheduler import state as st

G = units.Gi


def _host(name, rack='r1', zone='z1', state='enabled'):
    return st.HostState(name, zone, rack, None, state)


def _pool(name, host, driver='lvm', rack='r1', zone='z1', **kw):
    kw.setdefault('total', 100 * G)
    return st.PoolState(name, driver, host=host, rack=rack, zone=zone, **kw)


@pytest.fixture
def cache():
    cache = cache_mod.StateCache()
    cache.apply(cache_mod.Changes(
        hosts=[_host('h1'), _host('h2'), _host('h3', rack='r2')],
        pools=[_pool('lvm', 'h1', tags={'ssd'}, cost=2),
               _pool('thin', 'h1', driver='lvm-thin', tags={'ssd'}),
               _pool('lvm', 'h2'),
               _pool('lvm', 'h3', rack='r2'),
               st.PoolState('nfs', 'qcow2', scope='rack', rack='r1',
                            zone='z1', total=G)]))
    return cache


def _column(cache, key, name):
    """Pool *key*'s value in column *name*."""
    return getattr(cache.columns.pools, name)[cache.pools[key].index]


def _tagged(cache, tag):
    cols = cache.columns
    bits = cols.wanted_bits([tag])
    return sorted(cols.pool_objects[row].key for row in cols.live_pools()
                  if bits is not None and (cols.pools.tags[row] & bits).any())


def test_columns_mirror_the_objects(cache):
    cols = cache.columns
    assert sorted(cols.pool_objects[r].key for r in cols.live_pools()) == \
        sorted(cache.pools)
    for pool in cache.pools.values():
        row = pool.index
        assert cols.pool_objects[row] is pool
        assert cols.pools.free[row] == pool.free
        assert cols.pools.cost[row] == pool.cost
        assert cols.drivers.names[cols.pools.driver[row]] == pool.driver
        assert cols.pools.scope[row] == {'host': 0, 'rack': 1,
                                         'zone': 2}[pool.scope]
    assert _tagged(cache, 'ssd') == ['host:h1/lvm', 'host:h1/thin']
    h1 = cache.hosts['h1']
    assert _column(cache, 'host:h1/lvm', 'host') == h1.index
    assert _column(cache, 'rack:r1/nfs', 'host') == -1
    assert cols.racks.names[_column(cache, 'rack:r1/nfs', 'rack')] == 'r1'
    assert [p.key for p in cache.hosts['h1'].pools] == [
        'host:h1/lvm', 'host:h1/thin']
    assert [h.name for h in cache.hosts_sharing(cache.pools['rack:r1/nfs'])
            ] == ['h1', 'h2']


def test_first_host_of_a_rack_by_name(cache):
    cols = cache.columns
    first_up, first_any = cols.first_host_by('rack')
    r1 = cols.racks.get('r1')
    assert cols.host_objects[first_up[r1]].name == 'h1'
    cache.apply(cache_mod.Changes(hosts=[_host('h1', state='down')]))
    first_up, first_any = cols.first_host_by('rack')
    assert cols.host_objects[first_up[r1]].name == 'h2'
    assert cols.host_objects[first_any[r1]].name == 'h1'


def test_many_tags_take_more_words():
    cache = cache_mod.StateCache()
    tags = {'t%d' % i for i in range(70)}
    cache.apply(cache_mod.Changes(hosts=[_host('h1')], pools=[
        _pool('lvm', 'h1', tags=tags), _pool('b', 'h1', tags={'t69'})]))
    assert cache.columns.pools.tags.shape[1] == 2
    assert _tagged(cache, 't69') == ['host:h1/b', 'host:h1/lvm']
    assert _tagged(cache, 't0') == ['host:h1/lvm']


def test_capacity_change_keeps_indexes(cache):
    pool = cache.pools['host:h2/lvm']
    stats = cache.apply(cache_mod.Changes(pools=[
        _pool('lvm', 'h2', used=40 * G, generation=1)]))
    assert stats.moved == 0
    assert cache.pools['host:h2/lvm'] is pool
    assert pool.free == 60 * G


def test_retag_rewrites_the_columns(cache):
    stats = cache.apply(cache_mod.Changes(pools=[
        _pool('lvm', 'h2', tags={'ssd', 'new'}, generation=1)]))
    assert stats.moved == 1
    assert 'host:h2/lvm' in _tagged(cache, 'ssd')
    assert 'host:h2/lvm' in _tagged(cache, 'new')
    cache.apply(cache_mod.Changes(pools=[
        _pool('lvm', 'h2', tags=set(), generation=2)]))
    assert 'host:h2/lvm' not in _tagged(cache, 'ssd')


def test_stale_row_is_ignored(cache):
    cache.apply(cache_mod.Changes(pools=[_pool('lvm', 'h2', used=G,
                                               generation=5)]))
    cache.apply(cache_mod.Changes(pools=[_pool('lvm', 'h2', used=9 * G,
                                               generation=4)]))
    assert cache.pools['host:h2/lvm'].used == G


def test_host_moves_rack(cache):
    cache.apply(cache_mod.Changes(
        hosts=[_host('h2', rack='r2')],
        pools=[_pool('lvm', 'h2', rack='r2', generation=1)]))
    assert 'h2' in cache.hosts_by_rack['r2']
    assert 'h2' not in cache.hosts_by_rack['r1']
    r2 = cache.columns.racks.get('r2')
    assert _column(cache, 'host:h2/lvm', 'rack') == r2
    assert cache.columns.hosts.rack[cache.hosts['h2'].index] == r2


def test_removal_and_complete_refresh(cache):
    cache.apply(cache_mod.Changes(removed_pools=['host:h1/thin']))
    assert 'host:h1/thin' not in cache.pools
    assert _tagged(cache, 'ssd') == ['host:h1/lvm']
    assert [p.key for p in cache.hosts['h1'].pools] == ['host:h1/lvm']
    stats = cache.apply(cache_mod.Changes(
        hosts=[_host('h1')], pools=[_pool('lvm', 'h1')], complete=True))
    assert set(cache.pools) == {'host:h1/lvm'}
    assert set(cache.hosts) == {'h1'}
    assert stats.removed == 3
    assert len(cache.columns.live_pools()) == 1
    # Rows of removed pools are reused.
    cache.apply(cache_mod.Changes(pools=[_pool('new', 'h1')]))
    assert len(cache.columns.live_pools()) == 2
    assert cache.columns.pools.size <= 5


def test_renamed_pool_with_same_id(cache):
    cache.apply(cache_mod.Changes(pools=[_pool('a', 'h2', id=7)]))
    cache.apply(cache_mod.Changes(pools=[_pool('b', 'h2', id=7)]))
    assert 'host:h2/a' not in cache.pools
    assert cache.key_of(7) == 'host:h2/b'


def test_pool_before_its_host_is_down(cache):
    cache.apply(cache_mod.Changes(pools=[_pool('lvm', 'h7')]))
    assert cache.hosts['h7'].state == 'down'
    cache.apply(cache_mod.Changes(hosts=[_host('h7')]))
    assert cache.hosts['h7'].state == 'enabled'
    assert [p.key for p in cache.hosts['h7'].pools] == ['host:h7/lvm']


def test_claim_is_visible_until_the_store_shows_it(cache):
    pool = cache.pools['host:h2/lvm']
    cache.claim('host:h2/lvm', 10 * G)               # store will say gen 1
    assert (pool.used, pool.volumes) == (10 * G, 1)
    # A row read before the claim landed: the claim stays counted.
    cache.apply(cache_mod.Changes(pools=[_pool('lvm', 'h2', generation=0)]))
    assert pool.used == 10 * G
    # Another process's claim (gen 1) landed; ours said gen 2.
    cache.claim('host:h2/lvm', 5 * G, generation=2)
    cache.apply(cache_mod.Changes(pools=[
        _pool('lvm', 'h2', used=13 * G, volumes=1, generation=1)]))
    assert (pool.used, pool.volumes) == (18 * G, 2)
    # The store shows both.
    cache.apply(cache_mod.Changes(pools=[
        _pool('lvm', 'h2', used=18 * G, volumes=2, generation=2)]))
    assert (pool.used, pool.volumes, pool.pending) == (18 * G, 2, None)
    assert cache.columns.pools.free[pool.index] == pool.free


def test_release(cache):
    pool = cache.pools['host:h2/lvm']
    cache.claim('host:h2/lvm', 10 * G)
    cache.release('host:h2/lvm', 10 * G)
    assert (pool.used, pool.volumes, pool.pending) == (0, 0, [])
    assert cache.columns.pools.free[pool.index] == pool.free
    with pytest.raises(exception.PoolNotFound):
        cache.claim('host:h9/none', G)


def test_shared_pool_is_one_object(cache):
    shared = cache.pools['rack:r1/nfs']
    assert shared.domain == 'rack:r1/nfs'
    assert shared.place.host is None
    for host in cache.hosts_sharing(shared):
        assert st.distance(host, shared) == 1
    assert st.distance(cache.hosts['h3'], shared) == 2


def test_distance_matches_topology(cache):
    from brick.inventory import topology
    for host in cache.hosts.values():
        for pool in cache.pools.values():
            assert st.distance(host, pool) == topology.distance(
                host.place, pool.place)


def test_charge_rounds_to_the_step():
    pool = _pool('lvm', 'h1', step=4 * units.Mi)
    assert st.charge(pool, G + 1) == G + 4 * units.Mi
    assert st.charge(pool, G) == G


def test_refresh_if_due():
    class Source:
        calls = 0

        def changes(self, marker):
            self.calls += 1
            return cache_mod.Changes(marker=self.calls)

    cache, source = cache_mod.StateCache(), Source()
    assert cache.refresh_if_due(source, 3600) is not None
    assert cache.refresh_if_due(source, 3600) is None
    assert cache.marker == 1
    assert cache.refresh_if_due(source, 0) is not None
    assert source.calls == 2
