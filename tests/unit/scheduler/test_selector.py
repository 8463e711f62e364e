# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The selector: configuration, explanations, bounded search, claims."""

import logging

import pytest

from brick import exception
from brick import units
from brick.scheduler import request
from brick.scheduler import selector as selector_mod
from brick.scheduler import settings as settings_mod
from tests.unit.scheduler import clusters

G = units.Gi


def _cluster(hosts=50, free='100G'):
    return clusters.build({
        'hosts': [{'name': 'n{i:03d}', 'count': hosts, 'zone': 'z1',
                   'rack': 'r{r}', 'per_rack': 10}],
        'pools': [{'name': 'lvm', 'host': 'n{i:03d}', 'count': hosts,
                   'driver': 'lvm', 'total': free}]})


def test_no_valid_host_carries_the_explanation():
    cache = _cluster(hosts=3)
    selector = selector_mod.Selector(cache)
    with pytest.raises(exception.NoValidHost) as info:
        selector.select(request.build(size=200 * G, driver='lvm'))
    error = info.value
    assert isinstance(error, exception.Conflict)
    explanation = error.explanation
    assert str(error).startswith('No valid host: 1 volume(s) of 200 GiB')
    assert 'capacity removed 3 of 3 pools: host:n001/lvm, host:n002/lvm, ' \
        'host:n003/lvm (not enough free space x3, e.g.' in str(error)
    stats = {s.name: (s.examined, s.removed) for s in explanation.filters}
    assert stats['state'] == (3, 0) and stats['capacity'] == (3, 3)
    assert explanation.why('n002').startswith(
        'filtered: volume 1 in host:n002/lvm removed by '
        'capacity')
    assert explanation.why('nowhere') == 'unknown host or pool nowhere'
    data = explanation.as_dict()
    assert data['filters'][-1]['reasons'][0]['kind'] == \
        'not enough free space'
    assert data['candidates'] == []


def test_decision_explains_its_ranking():
    cache = _cluster(hosts=3)
    cache.claim('host:n001/lvm', 50 * G)
    decision = selector_mod.Selector(cache).select(request.build(size=G))
    explanation = decision.explanation
    assert [c.rank for c in decision.candidates] == [1, 2, 3]
    assert decision.best.host == 'n002'
    why = explanation.why('n001')
    assert why.startswith('ranked 3 of 3: host n001: host:n001/lvm (1 GiB)')
    assert 'capacity=0.000' in why
    text = str(explanation)
    assert '  1. host n002' in text
    assert explanation.stage.name == 'any'     # no consumer named


def test_a_request_without_volumes():
    with pytest.raises(exception.InvalidValue) as info:
        selector_mod.Selector(_cluster(3)).select(request.build({}))
    assert 'at least one volume' in str(info.value)


def test_from_conf(conf):
    conf.set_override('enabled_filters', ['state', 'capacity'],
                      'brick_scheduler')
    conf.set_override('enabled_weighers', ['capacity'], 'brick_scheduler')
    conf.set_override('capacity_weight_multiplier', -2.0, 'brick_scheduler')
    conf.set_override('max_results', 2, 'brick_scheduler')
    selector = selector_mod.Selector.from_conf(conf, _cluster(3))
    assert [f.name for f in selector.filters] == ['state', 'capacity']
    assert selector.settings.multiplier('capacity') == -2.0
    selector.cache.claim('host:n003/lvm', 10 * G)
    decision = selector.select(request.build(size=G))
    assert [c.host for c in decision.candidates] == ['n003', 'n001']


def test_unknown_filter_in_conf(conf):
    conf.set_override('enabled_filters', ['state', 'ram'], 'brick_scheduler')
    with pytest.raises(exception.InvalidValue) as info:
        selector_mod.Selector.from_conf(conf, _cluster(3))
    assert "filter name 'ram'" in str(info.value)


def test_settings():
    settings = settings_mod.Settings(multipliers={'cost': -1.0})
    assert settings.multiplier('locality') == 10.0
    assert settings.multiplier('plugin') == 1.0
    weighers = {w.name: w for w in selector_mod.weighers_mod.load(
        ['locality', 'cost', 'capacity'])}
    assert [settings.level(weighers[n]) for n in ('locality', 'cost',
                                                   'capacity')] == [2, 1, 0]
    flat = settings_mod.Settings(precedence={'locality': 0, 'cost': '0'})
    assert flat.level(weighers['cost']) == 0
    with pytest.raises(exception.InvalidValue):
        settings_mod.Settings(precedence={'cost': 'first'})


def test_default_settings_are_the_options_defaults(conf):
    assert settings_mod.Settings.from_conf(conf) == settings_mod.Settings()


def test_every_pool_is_weighed_and_the_best_kept():
    cache = _cluster(hosts=50)
    for i in range(1, 51):
        cache.claim('host:n%03d/lvm' % i, i * G)    # n001 has most free
    decision = selector_mod.Selector(cache, settings_mod.Settings(
        max_results=3)).select(request.build(size=G))
    assert decision.explanation.stage.feasible == 50
    assert decision.explanation.candidates.total == 50
    assert [c.host for c in decision.candidates] == ['n001', 'n002', 'n003']
    assert 'passed every filter, ranked below' in \
        decision.explanation.why('n040')


def test_host_subset_size_is_reproducible_with_a_seed():
    def choices(seed):
        selector = selector_mod.Selector(_cluster(hosts=10), settings_mod
                                         .Settings(host_subset_size=4,
                                                   seed=seed))
        return [selector.select(request.build(size=G)).best.host
                for _ in range(8)]
    assert choices(3) == choices(3)
    assert set(choices(3)) <= {'n%03d' % i for i in range(1, 5)}
    assert len(set(choices(3) + choices(4))) > 1


def test_claim_counts_in_the_cache_at_once():
    cache = _cluster(hosts=2, free='10G')
    selector = selector_mod.Selector(cache)
    spec = request.build(size=6 * G)
    first = selector.select(spec).best
    selector.claim(first)
    assert cache.pools[first.pools[0]].used == 6 * G
    second = selector.select(spec).best
    assert second.pools != first.pools
    selector.claim(second)
    with pytest.raises(exception.NoValidHost):
        selector.select(spec)


def test_filter_counts_are_logged(caplog):
    caplog.set_level(logging.DEBUG, logger='brick.scheduler')
    selector_mod.Selector(_cluster(hosts=3)).select(request.build(size=G))
    assert 'filter capacity kept 3 of 3 pairs' in caplog.text


def test_multi_volume_candidate_per_host():
    cache = _cluster(hosts=3, free='100G')
    cache.claim('host:n001/lvm', 50 * G)
    spec = request.build(size=30 * G, count=2, locality='host')
    decision = selector_mod.Selector(cache).select(spec)
    assert [c.host for c in decision.candidates] == ['n002', 'n003']
    assert decision.best.pools == ('host:n002/lvm', 'host:n002/lvm')
    assert decision.explanation.dropped['n001'].startswith(
        'volume 2 does not fit beside volume(s) 1')
    assert decision.explanation.why('n001').startswith('dropped: volume 2')


def test_a_volume_larger_than_any_pool_names_pools():
    cache = _cluster(hosts=150, free='100G')
    with pytest.raises(exception.NoValidHost) as info:
        selector_mod.Selector(cache).select(request.build(size=101 * G))
    explanation = info.value.explanation
    assert explanation.stage.examined == 150
    assert 'capacity removed 150 of 150 pools: host:n001/lvm, ' \
        'host:n002/lvm, host:n003/lvm, host:n004/lvm, host:n005/lvm and ' \
        '145 more (not enough free space, e.g. not enough free ' \
        'space: host:n001/lvm has 100 GiB free' in str(info.value)
    assert 'removed by capacity (not enough free space: host:n007/lvm' in \
        explanation.why('n007')
    cache.claim('host:n001/lvm', 10 * G)
    cache.release('host:n001/lvm', 10 * G)
    assert selector_mod.Selector(cache).select(
        request.build(size=100 * G)).best.host == 'n001'


def test_dear_pools_that_fit_are_found_behind_cheap_ones_that_do_not():
    cache = clusters.build({
        'hosts': [{'name': 'n{i:03d}', 'count': 150, 'zone': 'z1'}],
        'pools': [
            {'name': 'small', 'host': 'n{i:03d}', 'count': 100,
             'driver': 'lvm', 'total': '10G'},
            {'name': 'big', 'host': 'n{i:03d}', 'count': 50, 'start': 101,
             'driver': 'lvm', 'total': '1T', 'cost': 1}]})
    decision = selector_mod.Selector(cache).select(request.build(size=500 * G))
    stats = {s.name: s for s in decision.explanation.filters}
    assert stats['capacity'].removed == 100
    assert decision.explanation.candidates.total == 50
    assert decision.best.pools == ('host:n101/big',)
