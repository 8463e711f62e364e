# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``brick node pool ...`` and ``brick driver list``."""

import json
import os

import pytest

from brick import drivers
from brick import exception
from brick import exit_codes
from brick import units
from brick.cmd import node as node_cmd
from tests.unit.cmd import Brick
from tests.unit.cmd import memory_node
from tests.unit.cmd import run


@pytest.fixture
def brick(capsys, tmp_path):
    return Brick(capsys, tmp_path)


class TestPoolList:

    def test_json(self, brick):
        brick('volume', 'create', 'a', '--size', '3M')
        rows = brick('node', 'pool', 'list', '-f', 'json').json()
        assert [(r['name'], r['driver'], r['location'], r['status'])
                for r in rows] == [
            ('raw', 'raw', str(brick.tmp_path / 'data/pools/raw'), 'ok'),
            ('fast', 'raw', str(brick.tmp_path / 'fast'), 'ok')]
        raw = rows[0]
        assert list(raw) == list(node_cmd.LIST_COLUMNS)
        assert (raw['provisioned'], raw['volumes'], raw['unmanaged']) == (
            3 * units.Mi, 1, 0)
        fs = os.statvfs(brick.tmp_path)
        assert raw['total'] == fs.f_blocks * fs.f_frsize
        assert isinstance(raw['free'], int)
        assert 0 < raw['max_volume'] <= raw['total']
        assert raw['allocation_ratio'] == 1.0

    def test_table_shows_human_units(self, brick):
        brick('volume', 'create', 'a', '--size', '3M')
        result = brick('node', 'pool', 'list', '-c', 'name', '-c',
                       'provisioned')
        assert '| raw  | 3 MiB       |' in result.stdout
        assert '| fast | 0 B         |' in result.stdout

    def test_a_broken_pool_is_marked(self, brick):
        (brick.tmp_path / 'fast').write_text('not a directory')
        result = brick('node', 'pool', 'list', '-f', 'json')
        assert result.code == exit_codes.NOT_FOUND
        rows = {r['name']: r for r in json.loads(result.stdout)}
        assert rows['raw']['status'] == 'ok'
        assert rows['fast']['status'] == 'unavailable'
        assert rows['fast']['total'] is None
        assert "brick: Pool 'fast' not found" in result.stderr

    def test_backend_failure_exits_1(self, capsys):
        failure = exception.CommandFailed(cmd='vgs', exit_code=5,
                                          stderr='no VG')
        node = memory_node(raw={}, lvm={'failure': failure})
        result = run(capsys, 'node', 'pool', 'list', '-f', 'json', node=node)
        assert result.code == exit_codes.ERROR
        assert [r['status'] for r in json.loads(result.stdout)] == [
            'ok', 'unavailable']


class TestPoolShow:

    def test_show(self, brick):
        pool = brick('node', 'pool', 'show', 'fast', '-f', 'json').json()
        assert list(pool) == list(node_cmd.SHOW_COLUMNS)
        assert pool['name'] == 'fast'
        assert pool['step'] == 512
        assert 'clone' in pool['capabilities']
        assert 'snapshot' not in pool['capabilities']

    def test_default_pool(self, brick):
        assert brick('node', 'pool', 'show', '-f', 'json').json()[
            'name'] == 'raw'

    def test_unknown(self, brick):
        result = brick('node', 'pool', 'show', 'nosuch')
        assert result.code == exit_codes.NOT_FOUND
        assert "Pool 'nosuch' not found" in result.stderr


def test_location():
    assert node_cmd.location(memory_node(raw={}).driver('raw')) is None

    class Thin:
        volume_group = 'vg0'
        thin_pool = 'pool0'

    assert node_cmd.location(Thin()) == 'vg0/pool0'


def test_driver_list(capsys):
    rows = run(capsys, 'driver', 'list', '-f', 'json').json()
    assert [r['name'] for r in rows] == drivers.names()
    assert {'raw', 'qcow2', 'vdi', 'lvm', 'lvm-thin'} <= set(drivers.names())
    for row in rows:
        cls = drivers.driver_class(row['name'])
        assert row['capabilities'] == sorted(
            c.value for c in cls.capabilities)
        assert row['options'] == [opt.dest for opt in cls.OPTS]
    raw = rows[[r['name'] for r in rows].index('raw')]
    assert 'path' in raw['options']


def test_driver_list_table(capsys):
    result = run(capsys, 'driver', 'list', '-c', 'name', '-c',
                 'capabilities')
    assert result.code == 0
    assert '| qcow2    | ' in result.stdout
    assert 'snapshot' in result.stdout
