# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Weighers and the normalisation they go through."""

import pytest

from brick import exception
from brick import units
from brick.scheduler import context
from brick.scheduler import request
from brick.scheduler import settings as settings_mod
from brick.scheduler import weighers
from brick.scheduler.weighers import base
from tests.unit.scheduler import clusters

G = units.Gi


def test_normalize():
    assert base.normalize([]) == []
    assert base.normalize([5, 5]) == [0.0, 0.0]
    assert base.normalize([1, 3, 2]) == [0.0, 1.0, 0.5]
    assert base.normalize([-1, 0], minval=-3, maxval=0) == [2 / 3, 1.0]


@pytest.fixture
def pairs():
    cache = clusters.build({
        'hosts': [{'name': 'h1', 'zone': 'z1', 'rack': 'r1'},
                  {'name': 'h2', 'zone': 'z1', 'rack': 'r1'}],
        'pools': [
            {'name': 'a', 'host': 'h1', 'driver': 'lvm', 'total': '100G',
             'cost': 3, 'max_volume': '20G'},
            {'name': 'b', 'host': 'h2', 'driver': 'lvm', 'total': '50G',
             'cost': 1, 'step': '1G'},
            {'name': 'nfs', 'rack': 'r1', 'driver': 'qcow2', 'total': '1T'},
        ]})
    spec = request.build(size=10 * G)
    ctx = context.Context(spec, cache, settings_mod.Settings())
    h1 = cache.hosts['h1']
    return ctx, spec.volumes[0], [(h1, pool) for pool in (
        cache.pools['host:h1/a'], cache.pools['host:h2/b'],
        cache.pools['rack:r1/nfs'])]


@pytest.mark.parametrize('name,raw', [
    ('capacity', [90 * G, 40 * G, 1014 * G]),
    ('cost', [-3.0, -1.0, -0.0]),
    ('locality', [0.0, -1.0, -1.0]),
    ('best_fit', [-10 * G, -40 * G, -1014 * G]),
])
def test_raw_scores(pairs, name, raw):
    ctx, volume, found = pairs
    (weigher,) = weighers.load([name])
    assert [weigher.weigh(ctx, host, pool, volume)
            for host, pool in found] == raw


def test_unknown_weigher():
    with pytest.raises(exception.InvalidValue) as info:
        weighers.load(['ram'])
    assert 'best_fit, capacity, cost, locality' in str(info.value)
