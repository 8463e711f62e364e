# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Topology, hosts, pools and capacity reports on every backend."""

import datetime

import pytest

from brick import exception
from brick import units
from brick.drivers import volume
from brick.inventory import hosts as hosts_mod
from brick.inventory import pools
from brick.inventory import reports
from brick.inventory import reservations
from brick.inventory import topology
from tests.functional.db import conftest


@pytest.fixture
def site(db):
    """Two zones, a rack in each, three hosts."""
    topology.create_zone(db, 'z1', region='east')
    topology.create_zone(db, 'z2', region='east')
    topology.create_rack(db, 'r1', 'z1')
    topology.create_rack(db, 'r2', 'z2')
    hosts_mod.create_host(db, 'h1', rack='r1')
    hosts_mod.create_host(db, 'h2', rack='r1')
    hosts_mod.create_host(db, 'h3', zone='z2')
    return db


def test_hosts_know_their_place_and_distance(site):
    hosts = {host.name: host for host in hosts_mod.list_hosts(site)}
    assert hosts['h1'].place == topology.Place('east', 'z1', 'r1', 'h1')
    assert hosts['h3'].place == topology.Place('east', 'z2', None, 'h3')
    assert topology.distance(hosts['h1'].place, hosts['h1'].place) == 0
    assert topology.distance(hosts['h1'].place, hosts['h2'].place) == 1
    assert topology.distance(hosts['h1'].place, hosts['h3'].place) == 3
    zones, racks = topology.zones_and_racks(site)
    assert [zone.name for zone in zones] == ['z1', 'z2']
    assert [(rack.name, rack.zone) for rack in racks] == [('r1', 'z1'),
                                                          ('r2', 'z2')]


def test_pools_of_every_scope(site):
    local = pools.create_pool(site, 'fast', 'raw', host='h1',
                              total=100 * units.Gi, tags=['ssd', 'nvme'])
    shared = pools.create_pool(site, 'nfs', 'qcow2', rack='r1',
                               total=units.Ti, cost=5)
    zonal = pools.create_pool(site, 'fast', 'qcow2', zone='z2')
    assert local.key == 'host:h1/fast' and local.tags == ('nvme', 'ssd')
    assert local.capacity == local.free == 100 * units.Gi
    assert shared.place == topology.Place('east', 'z1', 'r1', None)
    assert zonal.place == topology.Place('east', 'z2', None, None)
    h2 = hosts_mod.get_host(site, 'h2').place
    assert topology.distance(h2, shared.place) == topology.SAME_RACK
    assert topology.distance(h2, local.place) == topology.SAME_RACK
    assert pools.find_pool(site, 'fast', zone='z2') == zonal
    assert [pool.name for pool in pools.list_pools(site, host='h1')] \
        == ['fast']
    assert len(pools.list_pools(site)) == 3


def test_update_bumps_generation_and_recomputes_capacity(site):
    pool = pools.create_pool(site, 'thin', 'lvm-thin', host='h1',
                             total=1000, reserved=100)
    assert pool.capacity == 900 and pool.generation == 0
    pool = pools.update_pool(site, pool.id, allocation_ratio=2.5)
    assert pool.capacity == 2250 and pool.generation == 1
    # Changing nothing writes nothing.
    assert pools.update_pool(site, pool.id, allocation_ratio=2.5) == pool
    with pytest.raises(exception.ConcurrentUpdate):
        pools.update_pool(site, pool.id, expected_generation=0, cost=1)
    assert pools.update_pool(site, pool.id, expected_generation=1,
                             cost=1).generation == 2


def test_capacity_report_sets_node_fields_and_counts_unmanaged(site):
    pool = pools.create_pool(site, 'vg', 'lvm', host='h1', reserved=10)
    report = volume.CapacityReport(
        total=1000, free=700, provisioned=300, allocation_ratio=3.0,
        max_volume=700, step=4, volumes=3, unmanaged=200,
        unmanaged_volumes=2)
    pool = reports.apply_report(site, pool.id, report)
    assert (pool.total, pool.step, pool.max_volume, pool.unmanaged) == (
        1000, 4, 700, 200)
    # The ratio is the operator's: the report's 3.0 is not applied.
    assert pool.allocation_ratio == 1.0 and pool.capacity == 990
    assert pool.free == 790 and pool.reported_at is not None
    assert pool.generation == 1
    reservations.claim(site, 'vm', [(pool.id, 700)])
    with pytest.raises(exception.InsufficientCapacity):
        reservations.claim(site, 'vm', [(pool.id, 92)])
    # The node found more out-of-band volumes: less room, never negative.
    pool = reports.apply_report(site, pool.id, volume.CapacityReport(
        total=1000, free=0, provisioned=1000, allocation_ratio=1.0,
        max_volume=0, step=4, unmanaged=900))
    assert pool.free == 0 and pool.used == 700


def test_reserved_above_total_is_refused_and_changes_nothing(site,
                                                            caplog):
    # Before any report (total 0, unknown) reserved is policy for later.
    pool = pools.create_pool(site, 'vg', 'lvm', host='h1', reserved=500)
    assert pool.capacity == 0
    pool = reports.apply_report(site, pool.id, volume.CapacityReport(
        total=1000, free=1000, provisioned=0, allocation_ratio=1.0,
        max_volume=1000, step=1))
    assert pool.capacity == 500
    before = conftest.snapshot(site)
    with pytest.raises(exception.InvalidSize) as caught:
        pools.update_pool(site, pool.id, reserved=2000)
    assert 'reserved of pool vg (id %d) 2000: 1.95 KiB, more than the ' \
        'total of 1000;' % pool.id in str(caught.value)
    assert conftest.snapshot(site) == before
    # The node's report is the truth: recorded, with a warning.
    pool = reports.apply_report(site, pool.id, volume.CapacityReport(
        total=400, free=400, provisioned=0, allocation_ratio=1.0,
        max_volume=400, step=1))
    assert (pool.total, pool.capacity) == (400, 0)
    assert 'reports a total of 400 B, less than its reserved 500 B' in \
        caplog.text


def test_changed_pools_is_an_incremental_refresh(site):
    first = pools.create_pool(site, 'a', 'raw', host='h1', total=100)
    pools.create_pool(site, 'b', 'raw', host='h2', total=100)
    everything, mark = pools.changed_pools(site)
    assert len(everything) == 2
    # Every change moves updated_at past the watermark.
    reservations.claim(site, 'vm', [(first.id, 10)])
    later = pools.create_pool(site, 'c', 'raw', host='h3', total=1)
    changed, mark2 = pools.changed_pools(
        site, mark + hosts_mod.REFRESH_MARGIN + datetime.timedelta(
            microseconds=1))
    assert {pool.name for pool in changed} == {'a', 'c'}
    assert mark2 == later.updated_at
    assert [p for p in changed if p.name == 'a'][0].generation == 1


def test_host_state_and_heartbeat(site):
    hosts_mod.set_host_state(site, 'h1', 'disabled')
    hosts_mod.heartbeat(site, 'h1')
    host = hosts_mod.get_host(site, 'h1')
    assert host.state == 'disabled' and host.heartbeat_at is not None
    hosts_mod.set_host_state(site, 'h2', 'down')
    hosts_mod.heartbeat(site, 'h2')
    assert hosts_mod.get_host(site, 'h2').state == 'enabled'
    with pytest.raises(exception.NotFound):
        hosts_mod.heartbeat(site, 'nope')


def test_delete_pool_refuses_while_it_holds_allocations(site):
    pool = pools.create_pool(site, 'p', 'raw', host='h1', total=100)
    held = reservations.claim(site, 'vm', [(pool.id, 10)])
    reservations.commit(site, [held[0].id])
    before = conftest.snapshot(site)
    with pytest.raises(exception.Conflict, match='holds 1 allocations'):
        pools.delete_pool(site, pool.id)
    assert conftest.snapshot(site) == before
    pools.delete_pool(site, pool.id, force=True)
    assert pools.list_pools(site) == []
    pools.delete_pool(site, pool.id)  # already gone: fine


BAD_POOLS = [
    (dict(name='p', driver='zfs', host='h1'), exception.DriverNotFound,
     "Unknown volume driver 'zfs'"),
    (dict(name='p', driver='raw', host='h1', total=-1),
     exception.InvalidSize, 'total of pool'),
    (dict(name='p', driver='raw', host='h1', reserved=-5),
     exception.InvalidSize, 'negative'),
    (dict(name='p', driver='raw', host='h1', total=100, reserved=200),
     exception.InvalidSize, 'Invalid reserved of pool host:h1/p 200: 200 '
     'B, more than the total of 100;'),
    (dict(name='p', driver='raw', rack='r9'), exception.NotFound,
     "rack 'r9'"),
    (dict(name='p', driver='raw'), exception.InvalidInput,
     'exactly one owner'),
    (dict(name='p', driver='raw', host='h1', rack='r1'),
     exception.InvalidInput, 'exactly one owner'),
    (dict(name='fast', driver='raw', host='h1'), exception.Conflict,
     'host:h1/fast exists'),
    (dict(name='bad name', driver='raw', host='h1'), exception.InvalidName,
     'bad name'),
    (dict(name='p', driver='raw', host='h1', min_unit=10, max_unit=5),
     exception.InvalidSize, 'below min_unit'),
    (dict(name='p', driver='raw', host='h1', allocation_ratio=0),
     exception.InvalidValue, 'allocation_ratio'),
    (dict(name='p', driver='raw', host='h1', tags='ssd'),
     exception.InvalidValue, 'a list of tags'),
    (dict(name='p', driver='raw', host='h1', colour='red'),
     exception.InvalidValue, 'colour'),
]


@pytest.mark.parametrize('kwargs,error,message', BAD_POOLS,
                         ids=[case[2] for case in BAD_POOLS])
def test_bad_pool_input_is_refused_and_changes_nothing(site, kwargs, error,
                                                       message):
    pools.create_pool(site, 'fast', 'raw', host='h1', total=10)
    before = conftest.snapshot(site)
    with pytest.raises(error, match=message):
        pools.create_pool(site, **kwargs)
    assert conftest.snapshot(site) == before


def test_bad_topology_input_is_refused_and_changes_nothing(site):
    before = conftest.snapshot(site)
    with pytest.raises(exception.Conflict):
        topology.create_zone(site, 'z1')
    with pytest.raises(exception.Conflict):
        topology.create_rack(site, 'r1', 'z1')
    with pytest.raises(exception.NotFound, match="zone 'z9'"):
        topology.create_rack(site, 'r9', 'z9')
    with pytest.raises(exception.Conflict):
        hosts_mod.create_host(site, 'h1', rack='r1')
    with pytest.raises(exception.NotFound, match="rack 'r9'"):
        hosts_mod.create_host(site, 'h9', rack='r9')
    with pytest.raises(exception.InvalidValue, match='zone of host'):
        hosts_mod.create_host(site, 'h9', rack='r1', zone='z2')
    with pytest.raises(exception.InvalidValue, match='state of host'):
        hosts_mod.create_host(site, 'h9', state='sleeping')
    with pytest.raises(exception.InvalidSize):
        reports.apply_report(site, 1, volume.CapacityReport(
            total=-1, free=0, provisioned=0, allocation_ratio=1.0,
            max_volume=0, step=1))
    assert conftest.snapshot(site) == before
