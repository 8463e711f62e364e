# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The inventory file is checked entirely before any database is used."""

import pathlib

import pytest

from brick import exception
from brick import units
from brick.inventory import declarative
from brick.inventory import file as inventory_file

EXAMPLE = pathlib.Path(__file__).parents[3] / 'etc' / 'brick' / \
    'inventory.yaml.example'


def test_the_shipped_example_parses():
    wanted = inventory_file.load(str(EXAMPLE))
    assert wanted.zones == {'zone-a': 'east', 'zone-b': 'east'}
    assert wanted.hosts['compute-1'] == ('zone-a', 'rack-a1', 'enabled')
    nvme = wanted.pools[('host', 'compute-1', 'nvme')]
    assert nvme['driver'] == 'lvm-thin'
    assert nvme['reserved'] == 20 * units.Gi
    assert nvme['tags'] == ('local', 'ssd')
    assert wanted.pools[('rack', 'rack-a1', 'nfs-images')]['total'] == \
        20 * units.Ti


def test_an_empty_mapping_is_an_empty_inventory():
    wanted = inventory_file.parse('{}', 'f.yaml')
    assert (wanted.zones, wanted.racks, wanted.hosts, wanted.pools) == (
        {}, {}, {}, {})


@pytest.mark.parametrize('text,message', [
    ('', 'expected a mapping'),
    ('zones: {z1: {}}', 'zones must be a list of mappings'),
    ('hosts: [{name: h1, rack: r1, zone: z1}]', "rack 'r1'"),
    ('zones: [{name: z1}, {name: z2}]\nracks: [{name: r1, zone: z1}]\n'
     'hosts: [{name: h1, rack: r1, zone: z2}]', 'the zone of rack r1'),
    ('zones: [{name: z1}]\nhosts: [{name: h1, zone: z1, state: up}]',
     'enabled, disabled'),
    ('pools: [{name: p, driver: raw}]', 'exactly one owner'),
    ('pools: [{name: p}]', "'driver' is required"),
    ('zones: [{name: z1}]\npools: [{name: p, driver: raw, zone: z1, '
     'total: 1G, reserved: 2G}]', '2147483648: 2 GiB, more than the total '
     'of 1073741824'),
])
def test_errors_name_the_file_and_entry(text, message):
    with pytest.raises(exception.BrickException, match=message) as caught:
        inventory_file.parse(text, 'site.yaml')
    assert 'site.yaml' in str(caught.value)


def test_an_unreadable_file_is_an_input_error(tmp_path):
    with pytest.raises(exception.InvalidInput, match='cannot read'):
        inventory_file.load(str(tmp_path / 'missing.yaml'))


def test_changes_print_as_a_diff():
    change = declarative.Change('update', 'pool', 'host:h1/p', (
        ('reserved', 0, 10 * units.Gi), ('tags', ('a',), ('a', 'b'))))
    assert str(change) == ('~ pool host:h1/p: reserved 0 -> 10737418240 '
                           '(10 GiB), tags [a] -> [a, b]')
    assert str(declarative.Change('delete', 'zone', 'z1')) == '- zone z1'
