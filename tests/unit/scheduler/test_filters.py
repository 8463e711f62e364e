# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Each filter as the pure function it is: (context, host, pool, volume)
in, None or a reason out."""

import pytest

from brick import exception
from brick import units
from brick.scheduler import context
from brick.scheduler import filters
from brick.scheduler import request
from brick.scheduler import settings as settings_mod
from tests.unit.scheduler import clusters

G = units.Gi
CLUSTER = {
    'hosts': [{'name': 'h1', 'zone': 'z1', 'rack': 'r1'},
              {'name': 'h2', 'zone': 'z1', 'rack': 'r1'},
              {'name': 'h3', 'zone': 'z2', 'rack': 'r3', 'state': 'down'}],
    'pools': [{'name': 'lvm', 'host': 'h1', 'driver': 'lvm', 'total': '100G',
               'tags': ['ssd'], 'volumes': 2},
              {'name': 'lvm', 'host': 'h2', 'driver': 'lvm', 'total': '100G'},
              {'name': 'q', 'host': 'h3', 'driver': 'qcow2', 'total': '1T'},
              {'name': 'nfs', 'rack': 'r1', 'driver': 'qcow2',
               'total': '1T'}],
}


@pytest.fixture
def cache():
    return clusters.build(CLUSTER)


def _check(cache, name, host, pool, locator=None, volume=None, **args):
    args.setdefault('size', G)
    spec = request.build(**args)
    ctx = context.Context(spec, cache, settings_mod.Settings(),
                          locator or context.StaticLocator())
    (f,) = filters.load([name])
    return f.check(ctx, cache.hosts[host], cache.pools[pool],
                   volume or spec.volumes[0])


@pytest.mark.parametrize('name', [
    'state', 'capacity', 'driver', 'tags', 'locality', 'affinity',
    'anti_affinity', 'instance_locality', 'max_volumes'])
def test_a_plain_request_passes_on_the_own_host(cache, name):
    assert _check(cache, name, 'h1', 'host:h1/lvm') is None


def test_state(cache):
    assert _check(cache, 'state', 'h3', 'host:h3/q').startswith(
        'host not up: h3 is down')
    assert _check(cache, 'state', 'h1', 'host:h3/q', locality='any') \
        .startswith('pool host not up: h3')
    assert _check(cache, 'state', 'h1', 'host:h2/lvm',
                  exclude_hosts=['h2']).startswith('host excluded: h2')
    assert _check(cache, 'state', 'h1', 'rack:r1/nfs',
                  exclude_pools=['rack:r1/nfs']).startswith('pool excluded')


def test_capacity(cache):
    assert _check(cache, 'capacity', 'h1', 'host:h1/lvm', size=100 * G) \
        is None
    reason = _check(cache, 'capacity', 'h1', 'host:h1/lvm', size=101 * G)
    assert reason == ('not enough free space: host:h1/lvm has 100 GiB free '
                      'of 100 GiB (used 0 B, unmanaged 0 B), asked 101 GiB')


def test_driver(cache):
    assert _check(cache, 'driver', 'h1', 'host:h1/lvm', driver='qcow2') == (
        'wrong driver: host:h1/lvm is lvm, asked for qcow2')
    assert _check(cache, 'driver', 'h1', 'rack:r1/nfs', format='raw') == (
        'wrong format: rack:r1/nfs makes qcow2 volumes, asked for raw')
    assert _check(cache, 'driver', 'h1', 'host:h1/lvm', thin=True) == (
        'wrong provisioning: host:h1/lvm is thick, asked for thin')


def test_tags(cache):
    assert _check(cache, 'tags', 'h1', 'host:h1/lvm', tags='ssd,nvme') == (
        'missing tags: host:h1/lvm lacks nvme')
    assert _check(cache, 'tags', 'h1', 'host:h1/lvm',
                  forbidden_tags='ssd') == (
        'forbidden tags: host:h1/lvm has ssd')


def test_locality(cache):
    assert _check(cache, 'locality', 'h1', 'host:h2/lvm',
                  locality='host').startswith(
        'too far: host:h2/lvm is rack-distant from host h1, allowed: host')
    assert _check(cache, 'locality', 'h1', 'host:h2/lvm', locality='rack') \
        is None
    assert _check(cache, 'locality', 'h3', 'rack:r1/nfs', locality='any') \
        .startswith("outside the pool's scope")


def test_affinity(cache):
    locator = context.StaticLocator(volumes={
        'v1': 'host:h1/lvm', 'v2': 'host:h2/lvm', 'v3': 'rack:r1/nfs'})
    assert _check(cache, 'affinity', 'h1', 'host:h1/lvm', locator,
                  same_host='v1') is None
    assert _check(cache, 'affinity', 'h2', 'host:h2/lvm', locator,
                  same_host='v1').startswith('away from members')
    assert _check(cache, 'affinity', 'h1', 'host:h1/lvm', locator,
                  same_host='v1,v2').startswith('members apart')
    assert _check(cache, 'anti_affinity', 'h1', 'rack:r1/nfs', locator,
                  different_host='v3', locality='rack').startswith(
        'with a member: rack:r1/nfs')
    assert _check(cache, 'anti_affinity', 'h1', 'host:h1/lvm', locator,
                  different_host='v9') is None


def test_instance_locality(cache):
    locator = context.StaticLocator(instances={'vm': 'h1'})
    assert _check(cache, 'instance_locality', 'h1', 'host:h1/lvm', locator,
                  local_to_instance='vm') is None
    assert _check(cache, 'instance_locality', 'h2', 'host:h2/lvm', locator,
                  local_to_instance='vm') == (
        'not the instance host: instance vm runs on h1')


def test_max_volumes(cache):
    assert _check(cache, 'max_volumes', 'h1', 'host:h1/lvm',
                  max_volumes_per_host=2) == (
        'too many volumes: h1 holds 2, limit 2')
    assert _check(cache, 'max_volumes', 'h2', 'host:h1/lvm', locality='rack',
                  max_volumes_per_host=3) is None
    assert _check(cache, 'max_volumes', 'h1', 'rack:r1/nfs', locality='rack',
                  max_volumes_per_host=1) is None


def test_masks_answer_for_every_pool(cache):
    from brick.scheduler import pairs
    spec = request.build(size=G, driver='lvm', tags='ssd')
    ctx = context.Context(spec, cache, settings_mod.Settings())
    driver, tags, locality = filters.load(['driver', 'tags', 'locality'])
    volume = spec.volumes[0]
    found = pairs.derived(ctx)
    keys = [found.objects(i)[1].key for i in range(len(found))]

    def kept(f):
        return sorted(k for k, keep in zip(keys, f.mask(ctx, volume, found),
                                           strict=True) if keep)
    assert kept(driver) == ['host:h1/lvm', 'host:h2/lvm']
    assert kept(tags) == ['host:h1/lvm']
    ctx.tier = 0
    assert 'rack:r1/nfs' not in kept(locality)


def test_unknown_plugin_names_the_installed_ones():
    with pytest.raises(exception.InvalidValue) as info:
        filters.load(['state', 'ram'])
    assert "'ram'" in str(info.value)
    assert 'anti_affinity, availability_zone, capacity, driver' in \
        str(info.value)
