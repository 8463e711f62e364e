# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Scheduler scenarios as data: every ``scenarios/*.yaml`` file is a
cluster and cases; each case builds a request, runs the selector on a
fresh copy of the cluster and checks the choice or the error.

A file::

    description: what it shows
    cluster: {hosts: [...], pools: [...]}        # see clusters.py
    locator: {instances: {vm1: h1}, volumes: {v1: 'host:h1/lvm'}}
    settings: {max_results: 5}                   # Settings fields
    cases:
      - name: short-name
        flavor: {'brick:local_gb': '20'}         # extra specs
        hints: {local_to_instance: vm1}
        args: {driver: lvm, size: 20G}           # explicit arguments
        settings: {...}                          # per case, over the file's
        claims: [{pool: 'host:h1/lvm', size: 10G}]   # before the request
        expect:
          host: h1                               # the best candidate's host
          pools: ['host:h1/lvm']                 # its pool per volume
          sizes: [20G]                           # its sizes per volume
          ranking: ['host:h1/lvm', ...]          # first candidates' pools
          hosts: [h1, h2]                        # first candidates' hosts
          error: NoValidHost                     # or any brick exception
          message: ['not enough free space']     # substrings of the error
          why: {h2: 'filtered'}                  # substring of why(host)
          removed: {capacity: 2}                 # per-filter removals
        covers: [filter capacity, weigher cost]  # what the case shows
      - name: a-sequence                         # or several steps, one
        steps: [{args: ..., expect: ..., claim: true}, ...]   # cache
"""

import pathlib

import pytest
import yaml

from brick import exception
from brick import units
from brick.scheduler import context
from brick.scheduler import request as request_mod
from brick.scheduler import selector as selector_mod
from brick.scheduler import settings as settings_mod
from tests.unit.scheduler import clusters

HERE = pathlib.Path(__file__).parent / 'scenarios'
FILES = sorted(HERE.glob('*.yaml'))


def _cases():
    for path in FILES:
        doc = yaml.safe_load(path.read_text())
        for index, case in enumerate(doc['cases']):
            yield pytest.param(doc, case, id='%s-%s' % (
                path.stem, case.get('name', index)))


def _args(step):
    args = dict(step.get('args', {}))
    if 'volumes' in args:
        args['volumes'] = [dict(vol, size=units.parse(vol['size']))
                           for vol in args['volumes']]
    return args


def _check_error(selector, request, expect):
    error = getattr(exception, expect['error'])
    with pytest.raises(error) as info:
        selector.select(request)
    for text in expect.get('message', ()):
        assert text in str(info.value)
    return getattr(info.value, 'explanation', None)


def _check_choice(selector, request, expect):
    decision = selector.select(request)
    best = decision.best
    shown = str(decision.explanation)
    if 'host' in expect:
        assert best.host == expect['host'], shown
    if 'pools' in expect:
        assert list(best.pools) == expect['pools'], shown
    if 'sizes' in expect:
        assert [p.size for p in best.placements] == [
            units.parse(size) for size in expect['sizes']], shown
    if 'ranking' in expect:
        got = [','.join(c.pools) for c in decision.candidates]
        assert got[:len(expect['ranking'])] == expect['ranking'], shown
        if expect.get('only'):
            assert len(got) == len(expect['ranking']), shown
    if 'hosts' in expect:
        got = [c.host for c in decision.candidates]
        assert got[:len(expect['hosts'])] == expect['hosts'], shown
    if 'distances' in expect:
        assert [p.distance for p in best.placements] == \
            expect['distances'], shown
    return decision


def _run(selector, step):
    request = request_mod.build(step.get('flavor'), step.get('hints'),
                                **_args(step))
    expect = step['expect']
    if 'error' in expect:
        explanation = _check_error(selector, request, expect)
        decision = None
    else:
        decision = _check_choice(selector, request, expect)
        explanation = decision.explanation
    for host, text in expect.get('why', {}).items():
        assert text in explanation.why(host), explanation.why(host)
    for name, count in expect.get('removed', {}).items():
        stats = {s.name: s for s in explanation.filters}
        assert stats[name].removed == count, explanation.summary()
    if step.get('claim'):
        selector.claim(decision.best)


@pytest.mark.parametrize('doc,case', list(_cases()))
def test_scenario(doc, case):
    cache = clusters.build(doc['cluster'])
    settings = settings_mod.Settings(**{**doc.get('settings', {}),
                                        **case.get('settings', {})})
    locator = context.StaticLocator(**doc.get('locator', {}))
    selector = selector_mod.Selector(cache, settings, locator=locator)
    for claim in doc.get('claims', []) + case.get('claims', []):
        cache.claim(claim['pool'], units.parse(claim['size']))
    for step in case.get('steps') or [case]:
        _run(selector, step)


def test_every_filter_and_weigher_has_a_scenario():
    covered = set()
    for path in FILES:
        for case in yaml.safe_load(path.read_text())['cases']:
            covered.update(case.get('covers', ()))
    filters = {'filter %s' % name for name in (
        'state', 'capacity', 'driver', 'tags', 'locality',
        'instance_locality', 'affinity', 'anti_affinity', 'max_volumes')}
    weighers = {'weigher %s' % name for name in (
        'capacity', 'cost', 'locality', 'best_fit')}
    others = {'locality required', 'locality preferred', 'pairing',
              'anti-affinity', 'ties', 'mixed site', 'shared pool'}
    assert filters | weighers | others <= covered
