# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The YAML inventory applied to every backend."""

import pathlib

import pytest
import yaml

from brick import exception
from brick import units
from brick.drivers import volume
from brick.inventory import allocations
from brick.inventory import declarative
from brick.inventory import file as inventory_file
from brick.inventory import hosts
from brick.inventory import pools
from brick.inventory import reports
from brick.inventory import reservations
from tests.functional.db import conftest

EXAMPLE = pathlib.Path(__file__).parents[3] / 'etc' / 'brick' / \
    'inventory.yaml.example'


def _changed(tmp_path, edit):
    data = yaml.safe_load(EXAMPLE.read_text())
    edit(data)
    path = tmp_path / 'inventory.yaml'
    path.write_text(yaml.safe_dump(data))
    return inventory_file.load(str(path))


def _lines(changes):
    return [str(change) for change in changes]


def test_dry_run_then_apply_then_nothing_to_do(db):
    wanted = inventory_file.load(str(EXAMPLE))
    empty = conftest.snapshot(db)
    planned = declarative.apply(db, wanted, dry_run=True)
    assert conftest.snapshot(db) == empty
    assert len(planned) == 10 and planned[0].action == 'create'
    applied = declarative.apply(db, wanted)
    assert _lines(applied) == _lines(planned)
    assert declarative.apply(db, wanted) == []
    assert declarative.apply(db, wanted, dry_run=True) == []
    nvme = pools.find_pool(db, 'nvme', host='compute-1')
    assert (nvme.driver, nvme.reserved, nvme.allocation_ratio, nvme.tags) \
        == ('lvm-thin', 20 * units.Gi, 4.0, ('local', 'ssd'))
    assert hosts.get_host(db, 'compute-3').state == 'disabled'


def test_a_changed_file_updates_disables_and_moves(db, tmp_path):
    declarative.apply(db, inventory_file.load(str(EXAMPLE)))
    hdd = pools.find_pool(db, 'hdd', host='compute-2')
    reports.apply_report(db, hdd.id, volume.CapacityReport(
        total=units.Ti, free=units.Ti, provisioned=0, allocation_ratio=1.0,
        max_volume=units.Ti, step=4 * units.Mi))
    held = reservations.claim(db, 'vm', [(hdd.id, units.Gi)])

    def edit(data):
        data['pools'][0]['reserved'] = '30G'
        data['pools'][0]['tags'] = ['ssd']
        del data['pools'][1]                       # hdd vanishes
        data['hosts'][2]['state'] = 'enabled'
        data['hosts'][1]['rack'] = 'rack-b1'       # compute-2 moves
        data['racks'].append({'name': 'rack-a2', 'zone': 'zone-a'})
    wanted = _changed(tmp_path, edit)
    before = conftest.snapshot(db)
    planned = declarative.apply(db, wanted, dry_run=True)
    assert conftest.snapshot(db) == before
    assert _lines(planned) == [
        '+ rack rack-a2: zone=zone-a',
        '~ host compute-2: zone zone-a -> zone-b, rack rack-a1 -> rack-b1',
        '~ host compute-3: state disabled -> enabled',
        '~ pool host:compute-1/nvme: reserved 21474836480 (20 GiB) -> '
        '32212254720 (30 GiB), tags [local, ssd] -> [ssd]',
        '! pool host:compute-2/hdd: state enabled -> disabled (not in the '
        'file; holds 0 allocations, 1 reservations)']
    assert _lines(declarative.apply(db, wanted)) == _lines(planned)
    hdd = pools.get_pool(db, hdd.id)
    assert hdd.state == 'disabled' and hdd.used == units.Gi
    assert hdd.place.zone == 'zone-b'
    assert declarative.apply(db, wanted) == []
    # Pruning keeps a pool that holds something, unless forced.
    assert declarative.apply(db, wanted, prune=True) == []
    reservations.release(db, [held[0].id])
    assert _lines(declarative.apply(db, wanted, prune=True)) == [
        '- pool host:compute-2/hdd (holds 0 allocations, 0 reservations)']


def test_prune_force_deletes_a_pool_with_allocations(db, tmp_path):
    declarative.apply(db, inventory_file.load(str(EXAMPLE)))
    nfs = pools.find_pool(db, 'nfs-images', rack='rack-a1')
    taken = reservations.claim(db, 'vm', [(nfs.id, units.Gi)])
    reservations.commit(db, [taken[0].id])

    def edit(data):
        del data['pools'][2]
        data['hosts'] = data['hosts'][:2]
        data['racks'] = data['racks'][:1]
        data['zones'] = data['zones'][:1]
    wanted = _changed(tmp_path, edit)
    # compute-3 is disabled already, and still refers to rack-b1 and so
    # to zone-b: hosts are never deleted, so neither are they.
    assert _lines(declarative.apply(db, wanted, prune=True, force=True)) == [
        '- pool rack:rack-a1/nfs-images (holds 1 allocations, 0 '
        'reservations)']
    assert allocations.list_allocations(db) == []
    assert [pool.name for pool in pools.list_pools(db)] == ['nvme',
                                                                'hdd']


def test_reported_fields_belong_to_the_node(db):
    wanted = inventory_file.load(str(EXAMPLE))
    declarative.apply(db, wanted)
    nfs = pools.find_pool(db, 'nfs-images', rack='rack-a1')
    assert nfs.total == 20 * units.Ti
    reports.apply_report(db, nfs.id, volume.CapacityReport(
        total=10 * units.Ti, free=10 * units.Ti, provisioned=0,
        allocation_ratio=1.0, max_volume=10 * units.Ti, step=512))
    assert declarative.apply(db, wanted) == []
    assert pools.get_pool(db, nfs.id).total == 10 * units.Ti


BAD_FILES = [
    ('pools: [', exception.InvalidInput, 'is not valid YAML'),
    ('- a\n- b\n', exception.InvalidInput, 'expected a mapping'),
    ('zones: []\nzones: []\n', exception.InvalidInput, 'duplicate key'),
    ('nodes: []\n', exception.InvalidValue, "top level 'nodes'"),
    ('zones: [{name: z1, colour: red}]\n', exception.InvalidValue,
     r"zones\[0\] \(z1\) 'colour'"),
    ('zones: [{name: z1}]\nracks: [{name: r1, zone: z2}]\n',
     exception.NotFound, "zone 'z2' named by .*racks"),
    ('zones: [{name: z1}]\nhosts: [{name: h1, zone: z1}]\n'
     'pools: [{name: p, driver: raw, rack: r9}]\n', exception.NotFound,
     "rack 'r9'"),
    ('zones: [{name: z1}]\nhosts: [{name: h1, zone: z1}]\n'
     'pools: [{name: p, driver: zfs, host: h1}]\n',
     exception.DriverNotFound, "'zfs'"),
    ('zones: [{name: z1}]\nhosts: [{name: h1, zone: z1}]\n'
     'pools: [{name: p, driver: raw, host: h1, reserved: -5}]\n',
     exception.InvalidSize, 'reserved'),
    ('zones: [{name: z1}]\nhosts: [{name: h1, zone: z1}]\n'
     'pools: [{name: p, driver: raw, host: h1, reserved: 5Q}]\n',
     exception.InvalidSize, 'reserved'),
    ('zones: [{name: z1}]\nhosts: [{name: h1, zone: z1}]\n'
     'pools: [{name: p, driver: raw, host: h1},'
     ' {name: p, driver: raw, host: h1}]\n',
     exception.Conflict, 'described twice'),
    ('zones: [{name: z1}, {name: z1}]\n', exception.Conflict,
     'described twice'),
    ('hosts: [{zone: z1}]\n', exception.InvalidInput, "'name' is required"),
]


@pytest.mark.parametrize('text,error,message', BAD_FILES,
                         ids=[case[2] for case in BAD_FILES])
def test_bad_files_are_refused_and_change_nothing(db, tmp_path, text, error,
                                                  message):
    declarative.apply(db, inventory_file.load(str(EXAMPLE)))
    before = conftest.snapshot(db)
    path = tmp_path / 'bad.yaml'
    path.write_text(text)
    with pytest.raises(error, match=message) as caught:
        declarative.apply(db, inventory_file.load(str(path)))
    if error is not exception.DriverNotFound:
        assert str(path) in str(caught.value)
    assert conftest.snapshot(db) == before
