# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``brick volume snapshot ...``.

The raw driver takes no snapshots, so the verbs run on a MemoryDriver
here; tests/functional/test_cli.py runs them on real qcow2 files.
"""

import pytest

from brick import exit_codes
from tests.unit.cmd import Brick
from tests.unit.cmd import memory_node
from tests.unit.cmd import run


@pytest.fixture
def node(capsys):
    node = memory_node(raw={})
    assert run(capsys, 'volume', 'create', 'vol1', '--size', '1M',
               node=node).code == 0
    return node


def snapshot(capsys, node, *argv):
    return run(capsys, 'volume', 'snapshot', *argv, node=node)


def test_create_list_delete(capsys, node):
    created = snapshot(capsys, node, 'create', 'vol1', 'snap1', '-f', 'json')
    assert created.json() == {'name': 'snap1', 'volume': 'vol1',
                              'pool': 'raw', 'size': 1 << 20,
                              'created_at': '1970-01-01T00:00:00Z'}
    again = snapshot(capsys, node, 'create', 'vol1', 'snap1', '-f', 'json')
    assert again.json() == created.json()
    snapshot(capsys, node, 'create', 'vol1', 'snap2')
    listed = snapshot(capsys, node, 'list', 'vol1', '-f', 'json').json()
    assert [s['name'] for s in listed] == ['snap1', 'snap2']
    deleted = snapshot(capsys, node, 'delete', 'vol1', 'snap1', 'snap2',
                       'never-made')
    assert (deleted.code, deleted.stdout, deleted.stderr) == (0, '', '')
    assert snapshot(capsys, node, 'list', 'vol1', '-f', 'json').json() == []


def test_table_shows_human_size(capsys, node):
    result = snapshot(capsys, node, 'create', 'vol1', 'snap1')
    assert '| size       | 1 MiB ' in result.stdout


def test_revert(capsys, node):
    snapshot(capsys, node, 'create', 'vol1', 'snap1')
    result = snapshot(capsys, node, 'revert', 'vol1', 'snap1')
    assert (result.code, result.stdout, result.stderr) == (0, '', '')


def test_revert_missing_snapshot(capsys, node):
    result = snapshot(capsys, node, 'revert', 'vol1', 'snap1')
    assert result.code == exit_codes.NOT_FOUND
    assert "Snapshot 'snap1' of volume 'vol1' not found." in result.stderr


def test_missing_volume(capsys, node):
    result = snapshot(capsys, node, 'create', 'vol2', 'snap1')
    assert result.code == exit_codes.NOT_FOUND
    assert result.stderr == "brick: Volume 'vol2' not found in pool raw.\n"


@pytest.mark.parametrize('verb', ['create', 'delete', 'revert'])
def test_bad_snapshot_name(capsys, node, verb):
    result = snapshot(capsys, node, verb, 'vol1', 'a/b')
    assert result.code == exit_codes.USAGE
    assert "Invalid snapshot name 'a/b'" in result.stderr
    assert node.driver('raw').snapshots == {}


def test_one_bad_name_deletes_nothing(capsys, node):
    snapshot(capsys, node, 'create', 'vol1', 'snap1')
    result = snapshot(capsys, node, 'delete', 'vol1', 'snap1', '../x')
    assert result.code == exit_codes.USAGE
    assert list(node.driver('raw').snapshots) == [('vol1', 'snap1')]


@pytest.mark.parametrize('argv', [
    ('create', 'vol1', 'snap1'), ('list', 'vol1'),
    ('delete', 'vol1', 'snap1'), ('revert', 'vol1', 'snap1')])
def test_raw_pool_does_not_take_snapshots(capsys, tmp_path, argv):
    brick = Brick(capsys, tmp_path)
    brick('volume', 'create', 'vol1', '--size', '1M')
    result = brick('volume', 'snapshot', *argv)
    assert result.code == exit_codes.NOT_SUPPORTED
    assert result.stderr.startswith(
        'brick: Driver raw does not support snapshots; its capabilities '
        'are: ')
    assert brick.files() == ['data/pools/raw/vol1']
