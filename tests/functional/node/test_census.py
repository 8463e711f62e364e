# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The node is the truth for what it holds: reports of a real raw pool
reconciled with the inventory on each database."""

import datetime
import os
import time

import pytest

from brick import drivers
from brick import exception
from brick import units
from brick.db import engine
from brick.inventory import allocations
from brick.inventory import census
from brick.inventory import hosts
from brick.inventory import orphans
from brick.inventory import pools
from brick.inventory import reservations
from brick.inventory import topology
from brick.node import agent as agent_mod
from brick.node import monitor
from tests.functional.db.conftest import snapshot

SIZE = 4 * units.Mi


@pytest.fixture
def node(db, tmp_path):
    topology.create_zone(db, 'zone1')
    topology.create_rack(db, 'rack1', 'zone1')
    hosts.create_host(db, 'host1', rack='rack1')
    pools.create_pool(db, 'raw', 'raw', host='host1')
    driver = drivers.load('raw', pool='raw', path=str(tmp_path / 'raw'))
    agent = agent_mod.NodeAgent('host1', {'raw': driver})
    assert census.apply(db, agent.report()).differences == ()  # its size
    return agent


def pool_of(db):
    return pools.list_pools(db, host='host1')[0]


def kinds(found):
    return [(d.kind, d.volume) for d in found.differences]


def test_a_volume_made_outside_a_placement_is_adopted(db, node):
    node.driver('raw').create('made-by-cli', SIZE)
    ganeti = '0b4c2e1a-1111-4222-8333-944455556666.ext.disk0'
    node.driver('raw').create(ganeti, SIZE)
    found = census.apply(db, node.report())
    assert kinds(found) == [('adopted', ganeti), ('adopted', 'made-by-cli')]
    assert found.outstanding == ()
    held = {a.volume: a for a in allocations.list_allocations(db)}
    assert held['made-by-cli'].consumer == 'node:host1'
    assert held[ganeti].consumer == 'ganeti:0b4c2e1a-1111-4222-8333-' \
        '944455556666'
    # Visible as reservations of their own kind, committed at once.
    rows = reservations.list_reservations(db, consumer='node:host1')
    assert [(r.volume, r.state) for r in rows] == [('made-by-cli',
                                                    'committed')]
    pool = pool_of(db)
    assert (pool.used, pool.unmanaged) == (2 * SIZE, 0)
    assert allocations.check(db) == []
    # Once is enough; a report of the same state changes nothing.
    assert census.apply(db, node.report()).differences == ()
    # The node is the truth: the volume gone, its allocation goes too.
    node.delete_volume('raw', 'made-by-cli')
    found = census.apply(db, node.report())
    assert kinds(found) == [('adopted-gone', 'made-by-cli')]
    assert pool_of(db).used == SIZE
    assert allocations.check(db) == []


def test_an_orphan_waits_its_grace_then_its_node_deletes_it(db, node):
    node.create_volume('raw', 'vm1-disk1', SIZE)
    pool_id = pool_of(db).id
    orphans.record(db, pool_id, 'vm1-disk1', 'create timed out')
    orphans.record(db, pool_id, 'vm1-disk1', 'again')  # idempotent
    found = census.apply(db, node.report(), grace=3600)
    (diff,) = found.differences
    assert (diff.kind, diff.detail) == ('orphan', 'create timed out')
    assert 'deleted after' in diff.action and found.deletions == ()
    assert pool_of(db).unmanaged == SIZE  # counted meanwhile
    found = census.apply(db, node.report(), grace=0)
    assert [d.volume for d in found.deletions] == ['vm1-disk1']
    assert monitor.delete(node, found) == ['vm1-disk1']
    assert node.driver('raw').list() == []
    assert census.apply(db, node.report()).differences == ()
    assert orphans.list_orphans(db) == []
    assert pool_of(db).unmanaged == 0


def test_the_node_refuses_an_orphan_made_again_since_its_listing(db, node):
    listed = node.report()
    time.sleep(0.01)
    node.create_volume('raw', 'vm1-disk1', SIZE)  # a new placement's
    assert node.delete_orphan('raw', 'vm1-disk1', listed.taken_at) is False
    assert [v.name for v in node.driver('raw').list()] == ['vm1-disk1']
    # Nor does it delete what brick did not make.
    with open(os.path.join(node.driver('raw').path, 'by-hand'), 'wb') as f:
        f.truncate(SIZE)
    assert node.delete_orphan('raw', 'by-hand', time.time()) is False
    # A process started after the listing cannot tell: it refuses too.
    again = agent_mod.NodeAgent('host1', {'raw': node.driver('raw')})
    assert again.delete_orphan('raw', 'vm1-disk1', listed.taken_at) is False


def test_rolled_back_abandoned_foreign_and_missing_are_told_apart(db, node):
    pool_id = pool_of(db).id
    # A placement that rolled back: its reservation was released.
    (gone,) = reservations.claim(db, 'vm1', [(pool_id, SIZE, 'vm1-disk1')])
    node.create_volume('raw', 'vm1-disk1', SIZE)
    reservations.release(db, ids=[gone.id])
    # A placement that stopped: its reservation expired.
    reservations.claim(db, 'vm2', [(pool_id, SIZE, 'vm2-disk1')], ttl=1)
    node.create_volume('raw', 'vm2-disk1', SIZE)
    reservations.reap(db, now=engine.utcnow() + datetime.timedelta(
        seconds=5))
    # A placement that committed, whose volume someone removed.
    (kept,) = reservations.claim(db, 'vm3', [(pool_id, SIZE, 'vm3-disk1')])
    reservations.commit(db, ids=[kept.id])
    # Someone's own file.
    with open(os.path.join(node.driver('raw').path, 'by-hand'), 'wb') as f:
        f.truncate(SIZE)
    before = snapshot(db)
    dry = census.apply(db, node.report(), grace=0, dry_run=True)
    assert snapshot(db) == before  # a dry run writes nothing
    found = census.apply(db, node.report(), grace=0)
    assert kinds(found) == kinds(dry) == [
        ('foreign', 'by-hand'), ('orphan', 'vm1-disk1'),
        ('abandoned', 'vm2-disk1'), ('missing', 'vm3-disk1')]
    assert [d.volume for d in found.deletions] == ['vm1-disk1']
    assert [d.action for d in dry.differences][1] == \
        'would request deletion'
    # Counted: everything on the disk no allocation explains.
    pool = pool_of(db)
    assert pool.unmanaged == 3 * SIZE and pool.used == SIZE
    # Reported, never freed or deleted: the allocation, the abandoned
    # volume, the file.
    assert [a.volume for a in allocations.list_allocations(db)] == [
        'vm3-disk1']
    monitor.delete(node, found)
    assert sorted(v.name for v in node.driver('raw').list()) == [
        'by-hand', 'vm2-disk1']


def test_a_report_older_than_the_last_one_is_skipped(db, node):
    old = node.report()
    node.driver('raw').create('made-by-cli', SIZE)
    census.apply(db, node.report())
    assert pool_of(db).used == SIZE
    found = census.apply(db, old)  # arrives late: changes nothing
    assert found.differences == ()
    assert pool_of(db).used == SIZE
    assert len(allocations.list_allocations(db)) == 1


def test_unknown_hosts_and_pools_are_reported(db, node, tmp_path):
    other = agent_mod.NodeAgent('host9', {'raw': node.driver('raw')})
    assert kinds(census.apply(db, other.report())) == [
        ('unknown-host', None)]
    extra = drivers.load('raw', pool='fast', path=str(tmp_path / 'fast'))
    both = agent_mod.NodeAgent('host1', {'raw': node.driver('raw'),
                                         'fast': extra})
    found = census.apply(db, both.report())
    assert kinds(found) == [('unknown-pool', None)]
    assert "brick pool create fast --host host1 --driver raw" in \
        found.differences[0].detail
    pools.create_pool(db, 'slow', 'raw', host='host1')
    found = census.apply(db, node.report())
    assert [(d.kind, d.pool) for d in found.differences] == [
        ('absent-pool', 'host:host1/slow')]


def test_a_bad_report_is_refused_field_by_field(node):
    from brick.node import report as report_mod

    good = node.report().to_primitive()
    for field, value, message in (
            ('host', '../x', 'host name of node report'),
            ('taken_at', 'yesterday', 'taken_at'),
            ('pools', {}, 'pools of node report')):
        bad = dict(good, **{field: value})
        with pytest.raises(exception.InvalidInput, match=message):
            report_mod.NodeReport.from_primitive(bad)
    bad = dict(good, pools=[dict(good['pools'][0], volumes=[['x', -1,
                                                             True]])])
    with pytest.raises(exception.InvalidValue, match='volume of pool raw'):
        report_mod.NodeReport.from_primitive(bad)
