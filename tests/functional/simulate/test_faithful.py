# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The simulation decides as the real thing does.

The same requests (a CSV trace: boots from flavors, volumes local to
running instances, a size nothing can take, deletions) go through
``brick.api`` on the three-host site of ``tests/functional/workflow``
(real raw and qcow2 directory pools, SQLite, the placement workflow with
its reservations) and through ``brick simulate`` on that site's live
inventory: every request lands on the same host and pools, or is refused
(or skipped, for an instance that is gone) in both.
"""

import random

import pytest

from brick import api as api_mod
from brick import exception
from brick import simulate
from brick import units
from brick.db import engine
from brick.db import migration
from brick.node import agent
from brick.simulate import adapter
from brick.simulate import configuration
from tests.functional.workflow import fakes
from tests.functional.workflow import site as site_mod

G = units.Gi


def make_trace(rng, count=60):
    """CSV rows and the events in time order: ``(time, 'arrive', row)``
    or ``(time, 'end', consumer)``."""
    rows, events, booted = [], [], []
    for number in range(1, count + 1):
        time = number * 10
        roll = rng.random()
        life = rng.choice((35, 95, 305, None))
        # Half seconds: no deletion at the instant of an arrival.
        end = None if life is None or roll >= 0.9 else time + life + 0.5
        if roll < 0.55 or not booted:
            consumer = 'vm%d' % number
            flavor = 'brick:local_gb=%d' % rng.choice((5, 10, 20))
            if rng.random() < 0.3:
                flavor += ';brick:driver=qcow2'
            if rng.random() < 0.2:
                flavor += ';brick:count=2'
            row = (time, 'boot', consumer, '', flavor, '')
            booted.append(consumer)
        elif roll < 0.9:
            consumer = 'vol%d' % number
            args = 'local_to_instance=%s' % rng.choice(booted)
            if rng.random() < 0.5:
                args += ';locality=rack;locality_mode=preferred'
            row = (time, 'volume', consumer, '%dG' % rng.choice((5, 15)),
                   '', args)
        else:
            consumer = 'big%d' % number
            row = (time, 'volume', consumer, '500G', '', '')
        rows.append('%d,%s,%s,%s,%s,%s,%s' % (
            row[0], row[1], row[1], row[2], row[3],
            '' if end is None else end, row[4]) + ',,' + row[5])
        events.append((time, 0, 'arrive', row))
        if end is not None:
            events.append((end, 1, 'end', consumer))
    text = 'time,kind,type,consumer,size,end,flavor,hints,args\n' + \
        '\n'.join(rows) + '\n'
    return text, sorted(events, key=lambda e: (e[0], e[1]))


def replay(api, events):
    """Run *events* through the API; return ``{consumer: (host, pools)
    or 'refused' / 'skipped'}``."""
    found, names = {}, {}
    for _time, _order, what, item in events:
        if what == 'end':
            for name in names.pop(item, ()):
                api.delete_volume(name)
            continue
        _t, kind, consumer, size, flavor, args = item
        flavor = dict(p.split('=') for p in flavor.split(';') if p)
        args = dict(p.split('=') for p in args.split(';') if p)
        try:
            if kind == 'boot':
                placed = api.boot_instance(consumer, 'hv', flavor=flavor)
            else:
                placed = api.create_volume(consumer, size=size, **args)
        except exception.NoValidHost:
            found[consumer] = 'refused'
            continue
        except exception.NotFound:
            found[consumer] = 'skipped'
            continue
        names[consumer] = [v.name for v in placed.volumes]
        found[consumer] = (placed.host, tuple(
            'host:%s/%s' % (v.host, v.pool) for v in placed.volumes))
    return found


@pytest.mark.parametrize('options', [
    {}, {'capacity_weight_multiplier': -1.0, 'cost_weight_multiplier': 0.0}],
    ids=['defaults', 'packing'])
def test_simulation_makes_the_decisions_the_api_makes(tmp_path, options):
    db = engine.Database('sqlite:///%s' % (tmp_path / 'inventory.sqlite'))
    migration.upgrade(db)
    try:
        site = site_mod.Site(db, tmp_path / 'nodes')
        # Small raw pools, so that the site fills and refuses.
        replace = {host: {'raw': fakes.SmallRawDriver(
            site.path(host, 'raw'), 60 * G)} for host in site_mod.HOSTS}
        conf = site_mod.make_conf(site.root, reserve_count=2)
        for name, value in options.items():
            conf.set_override(name, value, group='brick_scheduler')
        api = api_mod.API(conf, db=db, nodes=[
            agent.NodeAgent(host, site.drivers(host, replace))
            for host in site_mod.HOSTS])
        api.handlers.register('hv', fakes.Hypervisor())
        api.setup()
        # The simulation starts from the live inventory as setup left it.
        live = simulate.site.from_database(db)
        text, events = make_trace(random.Random(7))
        trace = simulate.trace.parse(text, 'trace.csv', build_time=0)
        decisions = {}
        # The simulation's configuration says what the API's says.
        simulate.run(live, trace, [configuration.Configuration(
            'api', dict(options), 2)], decisions=decisions)
        assert adapter.settings_from_conf(conf).multipliers == \
            adapter.make_settings(options).multipliers
        expected = replay(api, events)
        got = {}
        for found in decisions['api']:
            if found.refused is None:
                got[found.consumer] = (found.host, found.pools)
            else:
                got[found.consumer] = 'skipped' if found.refused == \
                    'skipped' else 'refused'
        assert got == expected
        outcomes = list(expected.values())
        # The trace exercised placements, refusals and gone instances.
        assert outcomes.count('refused') >= 3, outcomes
        assert sum(isinstance(o, tuple) for o in outcomes) >= 30, outcomes
        assert len({o[0] for o in outcomes if isinstance(o, tuple)}) == 3
        api.close()
    finally:
        db.dispose()
