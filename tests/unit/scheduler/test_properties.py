# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Properties of the selector on random clusters: the vectorised path
returns exactly what the plain reference (:mod:`.reference`: every pair,
every filter, every weigher, sorted) returns, and every filter's
``mask`` agrees with its ``check``."""

from hypothesis import event
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from brick import exception
from brick import units
from brick.scheduler import context
from brick.scheduler import filters as filters_mod
from brick.scheduler import pairs as pairs_mod
from brick.scheduler import request
from brick.scheduler import selector as selector_mod
from brick.scheduler import settings as settings_mod
from brick.scheduler import weighers as weighers_mod
from tests.unit.scheduler import clusters
from tests.unit.scheduler import reference

G = units.Gi
DRIVERS = ('lvm', 'lvm-thin', 'qcow2')
TAGS = ('ssd', 'hdd', 'fast')
# Loading plugins reads every entry point; once is enough here.
SETTINGS = settings_mod.Settings()
FILTERS = filters_mod.load(SETTINGS.enabled_filters)
WEIGHERS = weighers_mod.load(SETTINGS.enabled_weighers + ('best_fit',))

_HOST_STATE = st.sampled_from(['enabled'] * 8 + ['down', 'disabled'])
_RACK = st.sampled_from((0, 2, None))
_COUNT = st.sampled_from((0, 1, 2, 2, 3))
_HOSTS = st.integers(1, 40)
_SHARED = st.integers(0, 3)
_OWNER = st.sampled_from([('rack', 'r0'), ('rack', 'r3'), ('zone', 'z1'),
                          ('zone', 'z0')])
_POOL = st.fixed_dictionaries({
    'driver': st.sampled_from(DRIVERS),
    'total': st.sampled_from([10, 50, 100, 100, 200]),
    'used': st.sampled_from([0, 0, 0.1, 0.5, 0.9, 1]),
    'tags': st.sets(st.sampled_from(TAGS), max_size=2),
    'cost': st.sampled_from([0, 0, 1, 2, 5]),
    'state': st.sampled_from(['enabled'] * 5 + ['disabled']),
    'halve': st.booleans(),
    'step': st.sampled_from([1, 4 * units.Mi]),
    'volumes': st.integers(0, 3),
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


_NAMES = st.sampled_from(['h00', 'h01', 'h02', 'h03', 'h07', 'h11'])
_REQUESTS = st.fixed_dictionaries({
    'size': st.sampled_from([1, 5, 20, 40, 90]).map(lambda n: n * G),
}, optional={
    'count': st.sampled_from([1, 1, 2, 3]),
    'locality': st.sampled_from(['host', 'rack', 'zone', 'any']),
    'locality_mode': st.sampled_from(['required', 'preferred']),
    'driver': st.sampled_from(DRIVERS),
    'tags': st.sampled_from(TAGS),
    'forbidden_tags': st.sampled_from(TAGS),
    'exclude_hosts': st.lists(_NAMES, max_size=2),
    'exclude_pools': st.lists(st.sampled_from(
        ['host:h00/p0', 'host:h01/p1', 'rack:r0/s0', 'zone:z1/s1']),
        max_size=2),
    'hosts': st.lists(_NAMES, min_size=1, max_size=4),
    'local_to_instance': st.sampled_from(['vm0', 'vm1']),
    'availability_zone': st.sampled_from(['z0', 'z1']),
    'rack': st.sampled_from(['r0', 'r1', 'r3']),
    'different_host': st.sampled_from(['v0', 'v1', 'v0,v2']),
    'same_host': st.sampled_from(['v1', 'v2']),
    'group_policy': st.sampled_from(['none', 'affinity', 'anti-affinity']),
    'max_volumes_per_host': st.integers(1, 4),
})
_LOCATOR = context.StaticLocator(
    instances={'vm0': 'h00', 'vm1': 'h03'},
    volumes={'v0': 'host:h01/p0', 'v1': 'rack:r0/s0', 'v2': 'host:h02/p1'})


def _answer(run):
    try:
        return run()
    except exception.NoValidHost:
        return 'NoValidHost'
    except exception.NotFound:
        return 'NotFound'
    except exception.InvalidInput:
        return 'InvalidInput'


def _spec(args):
    if 'same_host' in args and args.get('different_host', '').find(
            args['same_host']) >= 0:
        del args['same_host']
    if args.get('tags') and args.get('tags') == args.get('forbidden_tags'):
        del args['forbidden_tags']
    if 'rack' in args and 'availability_zone' in args and \
            (args['rack'][-1] in '13') != (args['availability_zone'] == 'z1'):
        del args['rack']
    if args.get('locality_mode') == 'preferred' and \
            args.get('locality') == 'any':
        del args['locality_mode']
    return request.build(**args)


@settings(max_examples=600, deadline=None)
@given(_clusters(), _REQUESTS, st.sampled_from([
    {}, {'precedence': {'locality': 0, 'cost': 0}},
    {'multipliers': {'capacity': -1.0, 'best_fit': 2.0}}]))
def test_fast_path_returns_the_reference_top_k(cluster, args, extra):
    cache = clusters.build(cluster)
    spec = _spec(args)
    config = settings_mod.Settings(**extra)
    selector = selector_mod.Selector(cache, config, FILTERS, WEIGHERS,
                                     _LOCATOR)
    fast = _answer(lambda: [(c.host, c.pools)
                            for c in selector.select(spec).candidates])
    plain = _answer(lambda: reference.select(
        cache, spec, config, FILTERS, WEIGHERS, _LOCATOR) or 'NoValidHost')
    assert fast == plain, (spec, fast, plain)
    event('%d volume(s): %s' % (len(spec.volumes), 'candidates' if
                                isinstance(fast, list) else fast))
    if isinstance(fast, list) and len(spec.volumes) == 1:
        pools = [p for _h, p in fast]
        assert len(set(pools)) == len(pools)     # k distinct pools


@settings(max_examples=150, deadline=None)
@given(_clusters(), _REQUESTS, st.sampled_from([0, 1, 2, 3]))
def test_every_mask_agrees_with_check(cluster, args, tier):
    cache = clusters.build(cluster)
    spec = _spec(args)
    try:
        ctx = context.Context(spec, cache, SETTINGS, _LOCATOR)
    except exception.BrickException:
        return
    ctx.tier = tier
    if ctx.consumers is None:
        pairs = pairs_mod.derived(ctx)
    else:
        pairs = pairs_mod.expand(ctx, ctx.consumers,
                                 pairs_mod.anchored(ctx, ctx.consumers))
    for volume in spec.volumes:
        for f in FILTERS:
            keep = f.mask(ctx, volume, pairs)
            checked = [f.check(ctx, *pairs.objects(i), volume) is None
                       for i in range(len(pairs))]
            assert list(keep) == checked, f.name
