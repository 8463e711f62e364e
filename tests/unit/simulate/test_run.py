# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Runs: deterministic, what-ifs that name what cannot move, the live
inventory as a source, and the report's measures."""

import dataclasses
import json
import os
import subprocess
import sys

import pytest

from brick import simulate
from brick import units
from brick.db import engine
from brick.db import migration
from brick.inventory import declarative
from brick.inventory import file as inventory_file
from brick.inventory import reservations
from brick.simulate import adapter
from brick.simulate import configuration
from brick.simulate import whatif
from tests.unit.simulate import data

G = units.Gi
SCRIPT = """
import sys
from brick import simulate
from brick.simulate import configuration, whatif
from tests.unit.simulate import data
report = simulate.run(
    simulate.site.from_text(data.SITE, 'site.yaml'),
    simulate.workload.parse(data.WORKLOAD, 'workload.yaml'),
    [configuration.Configuration('today'),
     configuration.Configuration('pack', {'capacity_weight_multiplier': -1,
                                          'host_subset_size': 3}, 1)],
    [whatif.parse('drain', 'rack:r1@1d'), whatif.parse('add', '1:h3@12h')],
    seed=int(sys.argv[1]))
sys.stdout.write(report.to_json())
"""

# Two database boots of 600G fill h1's and h2's ssd pools (1 TiB each);
# a web boot (40G ssd) goes beside the first.
TRACE = """\
time,kind,type,consumer,size,end,flavor,hints,args
0,db,boot,db1,600G,,,,driver=lvm;tags=ssd
1,db,boot,db2,600G,,,,driver=lvm;tags=ssd
2,web,boot,web1,,,brick:local_gb=40;brick:tags=ssd,,
20,web,boot,web2,,,brick:local_gb=40;brick:tags=ssd,,
"""


def _json(seed, hashseed):
    env = dict(os.environ, PYTHONHASHSEED=str(hashseed))
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))))
    return subprocess.run([sys.executable, '-c', SCRIPT, str(seed)],
                          env=env, cwd=root, check=True,
                          capture_output=True).stdout


def test_same_seed_gives_byte_identical_json():
    first = _json(5, 1)
    assert first == _json(5, 2)
    assert first != _json(6, 1)
    found = json.loads(first)
    assert [c['name'] for c in found['configurations']] == ['today', 'pack']
    today = found['configurations'][0]
    assert today['totals']['requests'] > 500
    assert len(today['times']) == 25       # every 2 h over 2 days
    assert set(today['utilization']) == {'zone', 'rack', 'driver', 'tag'}
    assert set(today['utilization']['rack']) == {'r1', 'r2'}
    assert [w['what_if'] for w in today['what_ifs']] == [
        'add 1:h3', 'drain rack:r1']
    assert today['what_ifs'][0]['hosts'] == ['h3-add1']


def _trace_run(*what_ifs):
    decisions = {}
    report = simulate.run(
        simulate.site.from_text(data.SITE, 'site.yaml'),
        simulate.trace.parse(TRACE, 'trace.csv', build_time=0),
        what_ifs=[whatif.parse(*w) for w in what_ifs], decisions=decisions)
    return report.as_dict()['configurations'][0], decisions['default']


def test_a_drain_that_cannot_succeed_names_allocations_and_filters():
    found, decisions = _trace_run(('drain', 'host:h1@10'))
    assert [(d.consumer, d.host) for d in decisions] == [
        ('db1', 'h1'), ('db2', 'h2'), ('web1', 'h1'), ('web2', 'h2')]
    drain = found['what_ifs'][0]
    assert (drain['what_if'], drain['hosts'], drain['consumers'],
            drain['moved']) == ('drain host:h1', ['h1'], 2, 1)
    [stuck] = drain['failed']
    assert stuck['consumer'] == 'db1'
    assert stuck['volumes'] == [{'name': 'db1-disk1', 'pool': 'host:h1/ssd',
                                 'size': 600 * G}]
    assert (stuck['blocked_by'], stuck['reason']) == (
        'capacity', 'not enough free space')
    assert 'host:h2/ssd has 424 GiB free' in stuck['explanation']
    # Nothing ssd is left with the whole rack drained: the hosts are.
    found, _ = _trace_run(('drain', 'rack:r1@10'))
    drain = found['what_ifs'][0]
    assert drain['moved'] == 0
    assert [(f['consumer'], f['blocked_by']) for f in drain['failed']] == [
        ('db1', 'state'), ('db2', 'state'), ('web1', 'state')]


def test_a_failure_loses_what_cannot_move_and_frees_nothing_twice():
    found, _ = _trace_run(('fail', 'host:h1@10'))
    failure = found['what_ifs'][0]
    assert failure['moved'] == 1
    assert [f['consumer'] for f in failure['lost']] == ['db1']
    # web2 came after the failure: h2 had room for it beside web1.
    assert found['kinds']['web']['accepted'] == 2
    ssd = found['utilization']['tag']['ssd'][-1]
    assert ssd == pytest.approx((600 + 40 + 40) / (2 * 1024), abs=1e-6)


def test_added_hosts_take_what_did_not_fit():
    found, _ = _trace_run(('drain', 'host:h1@10'), ('add', '1:h2@5'))
    drain = found['what_ifs'][1]
    assert (drain['moved'], drain['failed']) == (2, [])
    assert found['what_ifs'][0]['hosts'] == ['h2-add1']


def test_a_kind_in_an_availability_zone_stays_there():
    """``availability_zone`` flows through the request building: the
    kind's volumes and instances stay in the zone, and only the zone's
    pools count as the kind's (stranded capacity)."""
    site = simulate.site.from_text(data.SITE.replace(
        'zones: [{name: z1}]', 'zones: [{name: z1}, {name: z2}]').replace(
        '{name: r2, zone: z1}', '{name: r2, zone: z2}'), 'site.yaml')
    load = simulate.workload.parse("""
duration: 1d
kinds:
  - name: pinned
    flavor: {"brick:local_gb": "40", "brick:availability_zone": z2}
    rate: 4/h
  - name: pinned-volume
    args: {availability_zone: z1, size: 10G}
    boot: 0
    rate: 4/h
""", 'workload.yaml')
    decisions = {}
    found = simulate.run(site, load, seed=3, decisions=decisions)
    placed = [d for d in decisions['default'] if d.refused is None]
    assert len(placed) == len(decisions['default']) > 100
    for decision in placed:
        hosts = {'pinned': ('h3', 'h4'),
                 'pinned-volume': ('h1', 'h2')}[decision.kind]
        assert decision.host in hosts, decision
        assert all(pool.split(':')[1].split('/')[0] in hosts + ('r2',)
                   for pool in decision.pools), decision
    kinds = found.as_dict()['configurations'][0]['kinds']
    # Boots default to their host's pools; a volume may go anywhere in
    # its zone (h1 and h2 have one pool each: no other tier).
    assert kinds['pinned']['locality']['host'] == kinds['pinned'][
        'accepted']
    sched = adapter.Scheduler(site.hosts, site.pools,
                              adapter.make_settings({}))
    usable = {kind: [key for key, ok in zip(sched.keys, sched.usable(spec),
                                            strict=True) if ok]
              for kind, spec in load.specs.items()}
    assert usable == {'pinned': ['host:h3/hdd', 'host:h4/hdd',
                                 'rack:r2/nfs'],
                      'pinned-volume': ['host:h1/ssd', 'host:h2/ssd']}


def test_file_rows_are_the_rows_a_refresh_reads_after_apply(tmp_path):
    inventory = inventory_file.parse(data.SITE, 'site.yaml')
    db = engine.Database('sqlite:///%s' % (tmp_path / 'i.sqlite'))
    try:
        migration.upgrade(db)
        declarative.apply(db, inventory)
        stored = simulate.site.from_database(db)
    finally:
        db.dispose()
    loaded = simulate.site.from_inventory(inventory)

    def plain(rows):
        return [{k: v for k, v in dataclasses.asdict(row).items()
                 if k not in ('id', 'generation', 'pools', 'pending')}
                for row in rows]
    assert plain(loaded.hosts) == plain(stored.hosts)
    assert plain(loaded.pools) == plain(stored.pools)


def _live(tmp_path, consumer, claims):
    """The site of ``data.SITE`` read from a database where *consumer*
    holds *claims*: ``[(pool key, size, volume)]``."""
    db = engine.Database('sqlite:///%s' % (tmp_path / 'i.sqlite'))
    try:
        migration.upgrade(db)
        declarative.apply(db, inventory_file.parse(data.SITE, 'site.yaml'))
        ids = {p.key: p.id for p in simulate.site.from_database(db).pools}
        done = reservations.claim(db, consumer, [
            (ids[key], size, volume) for key, size, volume in claims])
        reservations.commit(db, [row.id for row in done])
        return simulate.site.from_database(db)
    finally:
        db.dispose()


def test_live_inventory_with_allocations(tmp_path):
    live = _live(tmp_path, 'old-vm', [
        ('host:h1/ssd', 300 * G, 'old-vm-disk1'),
        ('host:h1/ssd', 100 * G, 'old-vm-disk2')])
    assert live.existing == [simulate.site.Existing('old-vm', (
        ('old-vm-disk1', 'host:h1/ssd', 300 * G),
        ('old-vm-disk2', 'host:h1/ssd', 100 * G)))]
    assert live.summary()['existing_consumers'] == 1
    report = simulate.run(live, simulate.trace.parse(TRACE, 'trace.csv',
                                                     build_time=0),
                          what_ifs=[whatif.parse('drain', 'host:h1@10')])
    found = report.as_dict()['configurations'][0]
    # db1 went to h2 (h1 was 400G fuller), db2 to h1 beside old-vm.
    # Draining h1: old-vm moves anywhere its driver is (an hdd pool),
    # both volumes together; db2 needs 600G of ssd and h2 has 384G.
    drain = found['what_ifs'][0]
    assert (drain['consumers'], drain['moved']) == (2, 1)
    [stuck] = drain['failed']
    assert (stuck['consumer'], stuck['blocked_by']) == ('db2', 'capacity')


def test_blocking_filter_whatever_the_filter_order():
    """A refusal names the filter that stopped the pools of the kind
    asked for: hosts out of service do not hide a tag no pool carries,
    and the configured filter order does not change the answer."""
    site = simulate.site.from_text(data.SITE, 'site.yaml')
    for filters in (None, ['capacity', 'tags', 'driver', 'state']):
        settings = adapter.make_settings(
            {} if filters is None else {'enabled_filters': filters})
        sched = adapter.Scheduler(site.hosts, site.pools, settings)
        sched.set_state(['h1', 'h3'])

        assert _refused(sched, {'size': '10G', 'tags': 'gpu'}) == (
            'tags', 'missing tags')
        assert _refused(sched, {'size': '2T', 'tags': 'ssd'}) == (
            'capacity', 'not enough free space')
        sched.set_state(['h2'])
        assert _refused(sched, {'size': '10G', 'tags': 'ssd'}) == (
            'state', 'host not up')


def _refused(sched, args):
    candidates, refusal = sched.select(adapter.build_spec({'args': args},
                                                          'c'))
    assert candidates is None
    return refusal.blocked_by, refusal.reason


def test_state_changes_keep_the_usage_the_run_made(tmp_path):
    """Taking a place out of service twice neither brings back space a
    consumer of the live inventory gave up nor counts a claim twice."""
    live = _live(tmp_path, 'old', [('rack:r2/nfs', 2 * units.Ti,
                                    'old-disk1')])
    sched = adapter.Scheduler(live.hosts, live.pools,
                              adapter.make_settings({}))
    nfs = sched.keys.index('rack:r2/nfs')

    def used():
        return sched.usage()[1][nfs]
    assert used() == 2 * units.Ti
    spec = adapter.build_spec({'args': {'size': '1T', 'driver': 'qcow2'}},
                              'new')
    candidates, _refusal = sched.select(spec)
    [held] = sched.reserve(candidates, 1)
    assert used() == 3 * units.Ti
    sched.set_state(['h3', 'h4'], ['rack:r2/nfs'], 'down')
    assert used() == 3 * units.Ti
    # The live inventory's consumer is lost with the rack.
    sched.release(adapter.Held(None, [('rack:r2/nfs', 2 * units.Ti)]))
    assert used() == 1 * units.Ti
    sched.set_state(['h1', 'h2', 'h3', 'h4'], ['rack:r2/nfs'], 'down')
    assert used() == 1 * units.Ti
    sched.release(held)
    assert used() == 0


def test_report_measures_and_table():
    site = simulate.site.from_text(data.SITE, 'site.yaml')
    load = simulate.workload.parse(data.WORKLOAD, 'workload.yaml')
    report = simulate.run(site, load, [
        configuration.Configuration('a'),
        configuration.Configuration('b', {'cost_weight_multiplier': -1})],
        seed=2)
    found = report.as_dict()
    a, b = found['configurations']
    for config in (a, b):
        for kind in config['kinds'].values():
            assert kind['accepted'] + kind['refused'] == kind['requests']
            assert sum(kind['locality'].values()) == kind['accepted']
    # Dearest first costs more than cheapest first.
    assert b['kinds']['web']['cost_per_gib'] > \
        a['kinds']['web']['cost_per_gib']
    assert a['kinds']['scratch']['locality']['rack'] > 0
    assert a['settings']['cost_weight_multiplier'] == 1.0
    assert b['settings']['cost_weight_multiplier'] == -1.0
    columns, rows = report.table()
    assert columns == ['kind', 'measure', 'a', 'b']
    assert ['web', 'requests', str(a['kinds']['web']['requests']),
            str(b['kinds']['web']['requests'])] in rows
    curves = a['acceptance']
    assert len(curves['overall']) == len(curves['window']) == len(
        a['times'])
    assert curves['window'][0] is None and 0 < curves['window'][-1] <= 1
    assert set(curves['window_by_kind']) == {'web', 'db', 'scratch'}
    histogram = a['stranded']['histogram']
    assert len(histogram['edges']) == len(histogram['pools']) == 21
    assert sum(histogram['pools']) <= len(site.pools)
    assert adapter.TIER_NAMES == {0: 'host', 1: 'rack', 2: 'zone',
                                  3: 'any'}


def test_reserve_skips_an_alternate_that_does_not_fit_beside_the_first():
    """As the workflow's reserve step: each candidate all or nothing,
    claimed only if it still fits beside those reserved before it."""
    site = simulate.site.from_text(data.SITE, 'site.yaml')
    sched = adapter.Scheduler(site.hosts, site.pools,
                              adapter.make_settings({}))
    # Two volumes: the candidates are hosts, and both hosts of rack r2
    # reach the one shared pool of 10 TiB.
    spec = adapter.build_spec({'args': {
        'size': '3T', 'count': 2, 'driver': 'qcow2', 'locality': 'rack'}},
        'c1')
    candidates, refusal = sched.select(spec)
    assert refusal is None
    assert [(c.host, [p[0] for p in c.placements]) for c in candidates] == [
        ('h3', ['rack:r2/nfs'] * 2), ('h4', ['rack:r2/nfs'] * 2)]
    held = sched.reserve(candidates, 2)
    assert [h.host for h in held] == ['h3']
    capacities, used = sched.usage()
    assert used[sched.keys.index('rack:r2/nfs')] == 6 * units.Ti
    sched.release(held[0])
    assert sched.usage()[1] == [0] * len(site.pools)
    assert adapter.make_settings({}).multipliers == \
        adapter.settings_from_conf(_conf()).multipliers


def _conf():
    from oslo_config import cfg

    import brick.conf
    conf = cfg.ConfigOpts()
    brick.conf.register_opts(conf)
    conf([], default_config_files=[])
    return conf
