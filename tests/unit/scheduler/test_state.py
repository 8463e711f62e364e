# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The state cache: indexes, incremental updates, claims in flight."""

import pytest

from brick import exception
from brick import units
from brick.scheduler import cache as cache_mod
from brick.scheduler import index as index_mod
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


def _keys(index):
    return sorted(index.members) if hasattr(index, 'members') else sorted(
        pool.key for pool in index)


def test_indexes(cache):
    assert _keys(cache.by_driver['lvm']) == [
        'host:h1/lvm', 'host:h2/lvm', 'host:h3/lvm']
    assert _keys(cache.by_tag['ssd']) == ['host:h1/lvm', 'host:h1/thin']
    assert _keys(cache.by_rack['r1']) == [
        'host:h1/lvm', 'host:h1/thin', 'host:h2/lvm', 'rack:r1/nfs']
    assert len(cache.by_zone['z1']) == len(cache.everything) == 5
    assert [p.key for p in cache.hosts['h1'].pools] == [
        'host:h1/lvm', 'host:h1/thin']
    assert [h.name for h in cache.hosts_sharing(cache.pools['rack:r1/nfs'])
            ] == ['h1', 'h2']


def test_regions(cache):
    h1 = cache.hosts['h1']
    assert _keys(cache.region(h1, 0)) == ['host:h1/lvm', 'host:h1/thin']
    assert cache.region(h1, 1) is cache.by_rack['r1']
    assert cache.region(h1, 2) is cache.by_zone['z1']
    assert cache.region(h1, 3) is cache.everything
    loner = _host('h9', rack=None, zone=None)
    cache.apply(cache_mod.Changes(hosts=[loner]))
    assert list(cache.region(cache.hosts['h9'], 2)) == []


def test_capacity_change_keeps_indexes(cache):
    pool = cache.pools['host:h2/lvm']
    stats = cache.apply(cache_mod.Changes(pools=[
        _pool('lvm', 'h2', used=40 * G, generation=1)]))
    assert stats.moved == 0
    assert cache.pools['host:h2/lvm'] is pool
    assert pool.free == 60 * G


def test_retag_moves_between_indexes(cache):
    stats = cache.apply(cache_mod.Changes(pools=[
        _pool('lvm', 'h2', tags={'ssd', 'new'}, generation=1)]))
    assert stats.moved == 1
    assert 'host:h2/lvm' in cache.by_tag['ssd'].members
    assert 'host:h2/lvm' in cache.by_tag['new'].members
    cache.apply(cache_mod.Changes(pools=[
        _pool('lvm', 'h2', tags=set(), generation=2)]))
    assert 'host:h2/lvm' not in cache.by_tag['ssd'].members


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
    assert 'host:h2/lvm' in cache.by_rack['r2'].members
    assert 'host:h2/lvm' not in cache.by_rack['r1'].members


def test_removal_and_complete_refresh(cache):
    cache.apply(cache_mod.Changes(removed_pools=['host:h1/thin']))
    assert 'host:h1/thin' not in cache.pools
    assert 'host:h1/thin' not in cache.by_tag['ssd'].members
    assert [p.key for p in cache.hosts['h1'].pools] == ['host:h1/lvm']
    stats = cache.apply(cache_mod.Changes(
        hosts=[_host('h1')], pools=[_pool('lvm', 'h1')], complete=True))
    assert set(cache.pools) == {'host:h1/lvm'}
    assert set(cache.hosts) == {'h1'}
    assert stats.removed == 3
    assert len(cache.everything) == 1


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
    assert (pool.used, pool.volumes, pool.pending) == (18 * G, 2, [])


def test_release(cache):
    pool = cache.pools['host:h2/lvm']
    cache.claim('host:h2/lvm', 10 * G)
    cache.release('host:h2/lvm', 10 * G)
    assert (pool.used, pool.volumes, pool.pending) == (0, 0, [])
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


def test_index_visits_cheapest_first_and_rotates():
    index = index_mod.Index()
    for name, cost in (('a', 2), ('b', 1), ('c', 1), ('d', 1)):
        index.add(_pool(name, 'h1', cost=cost))
    names = [p.name for p in index.visit()]
    assert names == ['b', 'c', 'd', 'a']
    index.cursor = 1
    assert [p.name for p in index.visit()] == ['c', 'd', 'b', 'a']
    assert [p.name for p in index.visit(-1)] == ['a', 'c', 'd', 'b']
    assert [p.name for p in index.visit(0)] == ['b', 'c', 'd', 'a']


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
