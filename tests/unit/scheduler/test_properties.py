# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Properties of the selector on random clusters: the indexes, bounds
and shortcuts never lose a pool the filters would pass, and whatever it
returns obeys the request."""

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from brick import exception
from brick import units
from brick.scheduler import context
from brick.scheduler import filters as filters_mod
from brick.scheduler import request
from brick.scheduler import selector as selector_mod
from brick.scheduler import settings as settings_mod
from brick.scheduler import state
from brick.scheduler import weighers as weighers_mod
from tests.unit.scheduler import clusters

G = units.Gi
DRIVERS = ('lvm', 'lvm-thin', 'qcow2')
TAGS = ('ssd', 'hdd', 'fast')
# Loading plugins reads every entry point; once is enough here.
SETTINGS = settings_mod.Settings(max_considered=0)
FILTERS = filters_mod.load(SETTINGS.enabled_filters)
WEIGHERS = weighers_mod.load(SETTINGS.enabled_weighers)


_HOST_STATE = st.sampled_from(['enabled'] * 8 + ['down', 'disabled'])
_RACK = st.sampled_from((0, 2, None))
_COUNT = st.sampled_from((0, 1, 2, 2, 3))
# Often above search.EXCLUDE_ABOVE pools, so bounds are exercised too.
_HOSTS = st.integers(1, 80)
_SHARED = st.integers(0, 2)
_OWNER = st.sampled_from([('rack', 'r0'), ('rack', 'r3'), ('zone', 'z1')])
_POOL = st.fixed_dictionaries({
    'driver': st.sampled_from(DRIVERS),
    'total': st.integers(1, 200),
    'used': st.floats(0, 1),
    'tags': st.sets(st.sampled_from(TAGS), max_size=2),
    'cost': st.integers(0, 3),
    'state': st.sampled_from(['enabled'] * 5 + ['disabled']),
    'halve': st.booleans(),
    'step': st.sampled_from([1, 4 * units.Mi]),
})


@st.composite
def _clusters(draw):
    hosts = []
    for i in range(draw(_HOSTS)):
        host = {'name': 'h%02d' % i, 'zone': 'z%d' % (i % 2),
                'state': draw(_HOST_STATE)}
        rack = draw(_RACK)
        if rack is not None:
            host['rack'] = 'r%d' % (rack + i % 2)
        hosts.append(host)
    pools = [_pool(draw(_POOL), 'p%d' % n, host=host['name'])
             for host in hosts for n in range(draw(_COUNT))]
    for n in range(draw(_SHARED)):
        scope, owner = draw(_OWNER)
        pools.append(_pool(draw(_POOL), 's%d' % n, **{scope: owner}))
    return {'hosts': hosts, 'pools': pools}


def _pool(drawn, name, **owner):
    total = drawn.pop('total') * G
    drawn['used'] = int(total * drawn['used'])
    drawn['max_volume'] = total // 2 if drawn.pop('halve') else None
    return dict(owner, name=name, total=total, **drawn)


_REQUESTS = st.fixed_dictionaries({
    'size': st.integers(1, 200).map(lambda n: n * G),
    'locality': st.sampled_from(['host', 'rack', 'zone', 'any']),
    'locality_mode': st.sampled_from(['required', 'preferred']),
}, optional={
    'driver': st.sampled_from(DRIVERS),
    'tags': st.sampled_from(TAGS),
    'forbidden_tags': st.sampled_from(TAGS),
    'exclude_hosts': st.lists(st.sampled_from(['h00', 'h01', 'h02']),
                              max_size=2),
})


def _feasible(cache, spec, ctx):
    """Brute force: every pool and every host that may use it."""
    volume = spec.volumes[0]
    ctx.tier = spec.widest_tier
    for pool in cache.pools.values():
        hosts = list(cache.hosts_sharing(pool))
        for host in hosts:
            if all(f.check(ctx, host, pool, volume) is None
                   for f in FILTERS):
                return True
    return False


@settings(max_examples=100, deadline=None)
@given(_clusters(), _REQUESTS)
def test_finds_a_pool_iff_one_passes_every_filter(cluster, args):
    cache = clusters.build(cluster)
    spec = request.build(**args)
    selector = selector_mod.Selector(cache, SETTINGS, FILTERS, WEIGHERS,
                                     context.StaticLocator())
    try:
        decision = selector.select(spec)
    except exception.NoValidHost:
        decision = None
    ctx = context.Context(spec, cache, selector.settings)
    assert (decision is not None) == _feasible(cache, spec, ctx)
    if decision is None:
        return
    for candidate in decision.candidates:
        host = cache.hosts[candidate.host]
        (placement,) = candidate.placements
        pool = cache.pools[placement.pool]
        assert host.state == 'enabled' and pool.state == 'enabled'
        assert host.name not in spec.exclude_hosts
        assert state.distance(host, pool) == placement.distance
        assert placement.distance <= spec.widest_tier
        if pool.scope != 'host':
            assert host in cache.hosts_sharing(pool)
        assert placement.size >= spec.volumes[0].size
        assert placement.size <= min(pool.free, pool.largest)
        assert spec.volumes[0].tags <= pool.tags
        assert not spec.volumes[0].forbidden_tags & pool.tags
    best = decision.best
    assert best.score >= max(c.score for c in decision.candidates) - 1e-9 \
        or selector.settings.host_subset_size > 1
