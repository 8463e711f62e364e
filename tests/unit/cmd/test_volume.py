# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``brick volume ...`` on real raw pools (no program needed), and on a
:class:`MemoryDriver` for what a file pool cannot be made to do."""

import json
import os

import pytest
import yaml

from brick import exit_codes
from brick import units
from brick.cmd import common
from tests.unit.cmd import Brick
from tests.unit.cmd import memory_node
from tests.unit.cmd import run

MiB = units.Mi


@pytest.fixture
def brick(capsys, tmp_path):
    return Brick(capsys, tmp_path)


def create(brick, name, size='1M', *options):
    result = brick('volume', 'create', name, '--size', size, '-f', 'json',
                   *options)
    return result.json()


class TestCreate:

    def test_json_has_every_column_in_bytes(self, brick):
        volume = create(brick, 'vol1', '2M')
        assert list(volume) == list(common.VOLUME_COLUMNS)
        assert volume == {
            'name': 'vol1', 'pool': 'raw', 'driver': 'raw', 'size': 2 * MiB,
            'allocated': 0, 'format': 'raw', 'managed': True,
            'path': str(brick.path('vol1')), 'backing': None}
        assert os.path.getsize(volume['path']) == 2 * MiB

    def test_table_shows_human_units(self, brick):
        result = brick('volume', 'create', 'vol1', '--size', '1536K')
        assert result.code == 0
        assert '| size      | 1.50 MiB' in result.stdout
        assert '| path      | %s' % brick.path('vol1') in result.stdout

    def test_yaml_is_the_json_data(self, brick):
        result = brick('volume', 'create', 'vol1', '--size', '1M', '-f',
                       'yaml')
        assert result.code == 0
        assert yaml.safe_load(result.stdout) == create(brick, 'vol1')

    def test_value_of_one_column_is_bytes(self, brick):
        result = brick('volume', 'create', 'vol1', '--size', '1M', '-f',
                       'value', '-c', 'size')
        assert (result.code, result.stdout) == (0, '%d\n' % MiB)

    def test_shell_format(self, brick):
        result = brick('volume', 'create', 'vol1', '--size', '1M', '-f',
                       'shell', '-c', 'size', '-c', 'path')
        assert result.code == 0
        assert 'size="%d"' % MiB in result.stdout

    @pytest.mark.parametrize('size, expected', [
        ('1M', MiB), ('1MiB', MiB), ('512K', 512 * units.Ki),
        ('1048576', MiB), ('1G', units.Gi), (' 3m ', 3 * MiB)])
    def test_size_syntax(self, brick, size, expected):
        assert create(brick, 'vol1', size)['size'] == expected

    def test_is_idempotent(self, brick):
        first = create(brick, 'vol1', '1M')
        assert create(brick, 'vol1', '1048576') == first
        assert brick.files() == ['data/pools/raw/vol1']

    def test_another_size_is_a_conflict(self, brick):
        create(brick, 'vol1', '1M')
        result = brick('volume', 'create', 'vol1', '--size', '2M')
        assert result.code == exit_codes.CONFLICT
        assert "Volume 'vol1' already exists in pool raw" in result.stderr
        assert result.stdout == ''
        assert os.path.getsize(brick.path('vol1')) == MiB

    @pytest.mark.parametrize('size, shown, reason', [
        ('10X', "'10X'", 'not a size'), ('1.5G', "'1.5G'", 'not a size'),
        ('', "''", 'not a size'), ('0', '0', 'not positive'),
        ('-1M', "'-1M'", 'not a size'),
        ('1000', '1000', 'not aligned to 512 bytes'),
        ('1MB', '1000000', 'not aligned to 512 bytes')])
    def test_bad_size_changes_nothing(self, brick, size, shown, reason):
        result = brick('volume', 'create', 'vol1', '--size=%s' % size)
        assert result.code == exit_codes.USAGE
        assert result.stderr.startswith(
            'brick: Invalid volume size %s: %s' % (shown, reason))
        assert 'Traceback' not in result.stderr
        assert brick.files() == []

    @pytest.mark.parametrize('name', [
        'a/b', '../etc', 'a b', 'x' * 64, '.hidden', 'snapshot1', 'a..b'])
    def test_bad_name_changes_nothing(self, brick, name):
        result = brick('volume', 'create', name, '--size', '1M')
        assert result.code == exit_codes.USAGE
        assert "Invalid volume name %r" % name in result.stderr
        assert brick.files() == []

    def test_name_looking_like_an_option_is_a_usage_error(self, brick):
        result = brick('volume', 'create', '-rf', '--size', '1M')
        assert result.code == exit_codes.USAGE
        assert brick.files() == []

    def test_other_pool(self, brick):
        volume = create(brick, 'vol1', '1M', '--pool', 'fast')
        assert volume['pool'] == 'fast'
        assert brick.files() == ['fast/vol1']

    def test_unknown_pool(self, brick):
        result = brick('volume', 'create', 'vol1', '--size', '1M',
                       '--pool', 'nosuch')
        assert result.code == exit_codes.NOT_FOUND
        assert ("Pool 'nosuch' not found: host vm has the pools raw, "
                "fast" in result.stderr)
        assert brick.files() == []

    def test_not_enough_space(self, capsys):
        node = memory_node(raw={'total': 4 * MiB})
        result = run(capsys, 'volume', 'create', 'big', '--size', '8M',
                     node=node)
        assert result.code == exit_codes.CONFLICT
        assert 'Not enough space in pool raw' in result.stderr


class TestNoConfiguration:

    def test_data_dir_alone_gives_the_raw_pool(self, capsys, tmp_path):
        result = run(capsys, '--data-dir', str(tmp_path / 'data'),
                     'volume', 'create', 'vol1', '--size', '1M', '-f', 'json')
        assert result.json()['path'] == str(
            tmp_path / 'data' / 'pools' / 'raw' / 'vol1')
        assert oct(os.stat(tmp_path / 'data' / 'pools' / 'raw').st_mode
                   & 0o777) == '0o700'

    def test_brick_data_dir_from_the_environment(self, capsys, tmp_path,
                                                 monkeypatch):
        monkeypatch.setenv('BRICK_DATA_DIR', str(tmp_path / 'env'))
        result = run(capsys, 'volume', 'create', 'vol1', '--size', '1M',
                     '-f', 'value', '-c', 'path')
        assert result.stdout.strip() == str(
            tmp_path / 'env' / 'pools' / 'raw' / 'vol1')


class TestList:

    def test_every_pool_in_order(self, brick):
        create(brick, 'b', '1M')
        create(brick, 'a', '2M')
        create(brick, 'c', '1M', '--pool', 'fast')
        rows = brick('volume', 'list', '-f', 'json').json()
        assert [(r['pool'], r['name']) for r in rows] == [
            ('raw', 'a'), ('raw', 'b'), ('fast', 'c')]
        assert list(rows[0]) == list(
            ('name', 'pool', 'size', 'allocated', 'format', 'managed'))
        assert rows[0]['size'] == 2 * MiB

    def test_one_pool(self, brick):
        create(brick, 'a')
        create(brick, 'c', '1M', '--pool', 'fast')
        rows = brick('volume', 'list', '--pool', 'fast', '-f', 'json').json()
        assert [r['name'] for r in rows] == ['c']

    def test_long_has_every_column(self, brick):
        volume = create(brick, 'a')
        rows = brick('volume', 'list', '--long', '-f', 'json').json()
        assert rows == [volume]

    def test_table(self, brick):
        create(brick, 'a', '1G')
        result = brick('volume', 'list')
        assert result.code == 0
        header, row = [line for line in result.stdout.splitlines()
                       if line.startswith('|')]
        assert header.split('|')[1:-1] == [
            ' name ', ' pool ', ' size  ', ' allocated ', ' format ',
            ' managed ']
        assert '| 1 GiB |' in row

    def test_value_and_csv(self, brick):
        create(brick, 'a', '1M')
        value = brick('volume', 'list', '-f', 'value', '-c', 'name',
                      '-c', 'size')
        assert value.stdout == 'a %d\n' % MiB
        csv = brick('volume', 'list', '-f', 'csv', '-c', 'name', '-c',
                    'size')
        assert csv.stdout.splitlines() == ['"name","size"', '"a","%d"' % MiB]

    def test_sort_column(self, brick):
        create(brick, 'a', '1M')
        create(brick, 'b', '3M')
        create(brick, 'c', '2M', '--pool', 'fast')
        result = brick('volume', 'list', '--sort-column', 'size',
                       '--sort-descending', '-f', 'value', '-c', 'name')
        assert result.stdout.split() == ['b', 'c', 'a']

    def test_empty(self, brick):
        assert brick('volume', 'list', '-f', 'json').json() == []

    def test_unmanaged_files_are_listed(self, brick):
        create(brick, 'mine')
        with open(brick.path('theirs'), 'wb') as image:
            image.truncate(3 * MiB)
        rows = brick('volume', 'list', '-f', 'json').json()
        assert [(r['name'], r['managed'], r['size']) for r in rows] == [
            ('mine', True, MiB), ('theirs', False, 3 * MiB)]

    def test_a_broken_pool_does_not_hide_the_others(self, brick):
        create(brick, 'a')
        (brick.tmp_path / 'fast').write_text('not a directory')
        result = brick('volume', 'list', '-f', 'json')
        assert result.code == exit_codes.NOT_FOUND
        assert [r['name'] for r in json.loads(result.stdout)] == ['a']
        assert "brick: Pool 'fast' not found" in result.stderr

    def test_a_broken_pool_asked_for_is_an_error(self, brick):
        (brick.tmp_path / 'fast').write_text('not a directory')
        result = brick('volume', 'list', '--pool', 'fast', '-f', 'json')
        assert result.code == exit_codes.NOT_FOUND
        assert result.stdout == ''


class TestShow:

    def test_show(self, brick):
        volume = create(brick, 'vol1', '3M')
        assert brick('volume', 'show', 'vol1', '-f', 'json').json() == volume

    def test_missing(self, brick):
        result = brick('volume', 'show', 'vol1')
        assert result.code == exit_codes.NOT_FOUND
        assert result.stderr == "brick: Volume 'vol1' not found in pool " \
            "raw.\n"

    def test_bad_name(self, brick):
        result = brick('volume', 'show', 'a/b')
        assert result.code == exit_codes.USAGE


class TestExtend:

    def test_grow(self, brick):
        create(brick, 'vol1', '1M')
        result = brick('volume', 'extend', 'vol1', '--size', '3M', '-f',
                       'json')
        assert result.json()['size'] == 3 * MiB
        assert os.path.getsize(brick.path('vol1')) == 3 * MiB

    def test_same_size_is_a_no_op(self, brick):
        create(brick, 'vol1', '2M')
        result = brick('volume', 'extend', 'vol1', '--size', '2M', '-f',
                       'json')
        assert result.json()['size'] == 2 * MiB

    def test_smaller_is_refused_in_the_words_of_the_cli(self, brick):
        create(brick, 'vol1', '2M')
        result = brick('volume', 'extend', 'vol1', '--size', '1M')
        assert result.code == exit_codes.USAGE
        assert result.stderr == (
            "brick: Invalid new volume size '1M': smaller than the current "
            "size of vol1, 2097152 (2 MiB); allowed: at least the current "
            "size; 'brick volume shrink' makes a volume smaller, losing the "
            "data past the new end.\n")
        assert os.path.getsize(brick.path('vol1')) == 2 * MiB

    def test_missing(self, brick):
        result = brick('volume', 'extend', 'vol1', '--size', '1M')
        assert result.code == exit_codes.NOT_FOUND

    def test_bad_size(self, brick):
        create(brick, 'vol1', '1M')
        result = brick('volume', 'extend', 'vol1', '--size', 'big')
        assert result.code == exit_codes.USAGE
        assert "Invalid new volume size 'big'" in result.stderr


class TestShrink:

    def test_shrink_and_its_refusals(self, brick):
        create(brick, 'vol1', '2M')
        larger = brick('volume', 'shrink', 'vol1', '--size', '3M')
        assert larger.code == exit_codes.USAGE
        assert "allowed: at most the current size; 'brick volume extend' " \
            "makes a volume larger." in larger.stderr
        assert '()' not in larger.stderr
        shrunk = brick('volume', 'shrink', 'vol1', '--size', '1M', '-f',
                       'json')
        assert shrunk.json()['size'] == MiB
        assert os.path.getsize(brick.path('vol1')) == MiB

    def test_a_pool_that_cannot_shrink_exits_5(self, capsys, tmp_path):
        data = ('--data-dir', str(tmp_path))    # raw, qcow2 and vdi pools
        assert run(capsys, *data, 'volume', 'create', 'vol1', '--size',
                   '2M', '--pool', 'vdi').code == 0
        result = run(capsys, *data, 'volume', 'shrink', 'vol1', '--size',
                     '1M', '--pool', 'vdi')
        assert result.code == exit_codes.NOT_SUPPORTED
        assert 'does not support shrink' in result.stderr


class TestDelete:

    def test_delete_several(self, brick):
        for name in ('a', 'b', 'c'):
            create(brick, name)
        result = brick('volume', 'delete', 'a', 'c')
        assert (result.code, result.stdout, result.stderr) == (0, '', '')
        assert brick.files() == ['data/pools/raw/b']

    def test_missing_volume_is_not_an_error(self, brick):
        result = brick('volume', 'delete', 'never-made')
        assert (result.code, result.stderr) == (0, '')

    def test_one_bad_name_deletes_nothing(self, brick):
        create(brick, 'a')
        result = brick('volume', 'delete', 'a', '../b')
        assert result.code == exit_codes.USAGE
        assert "Invalid volume name '../b'" in result.stderr
        assert brick.files() == ['data/pools/raw/a']

    def test_busy_volume(self, capsys):
        node = memory_node(raw={})
        run(capsys, 'volume', 'create', 'a', '--size', '1M', node=node)
        node.driver('raw').busy.add('a')
        result = run(capsys, 'volume', 'delete', 'a', node=node)
        assert result.code == exit_codes.CONFLICT
        assert "Volume 'a' is busy: attached to vm1." in result.stderr


class TestClone:

    def test_full_copy(self, brick):
        create(brick, 'src', '1M')
        with open(brick.path('src'), 'r+b') as image:
            image.seek(4096)
            image.write(b'brick')
        clone = brick('volume', 'clone', 'src', 'copy', '-f', 'json').json()
        assert (clone['name'], clone['size'], clone['backing']) == (
            'copy', MiB, None)
        with open(clone['path'], 'rb') as image:
            image.seek(4096)
            assert image.read(5) == b'brick'

    def test_overlay_not_supported_by_raw(self, brick):
        create(brick, 'src', '1M')
        result = brick('volume', 'clone', '--overlay', 'src', 'child')
        assert result.code == exit_codes.NOT_SUPPORTED
        assert 'Driver raw does not support overlay clones' in result.stderr
        assert brick.files() == ['data/pools/raw/src']

    def test_missing_source(self, brick):
        result = brick('volume', 'clone', 'src', 'copy')
        assert result.code == exit_codes.NOT_FOUND
        assert brick.files() == []


class TestAttach:

    def test_json_is_os_brick_connection_info(self, brick):
        volume = create(brick, 'vol1')
        info = brick('volume', 'attach', 'vol1', '-f', 'json').json()
        assert info['driver_volume_type'] == 'local'
        assert info['data']['device_path'] == volume['path']
        assert info['data']['format'] == 'raw'
        assert info['data']['name'] == 'vol1'

    def test_table(self, brick):
        create(brick, 'vol1')
        result = brick('volume', 'attach', 'vol1')
        assert result.code == 0
        assert "device_path='%s'" % brick.path('vol1') in result.stdout

    def test_repeat_and_detach(self, brick):
        create(brick, 'vol1')
        for argv in (('attach', 'vol1', '-f', 'json'),
                     ('attach', 'vol1', '-f', 'json'),
                     ('detach', 'vol1'), ('detach', 'vol1')):
            assert brick('volume', *argv).code == 0

    def test_missing(self, brick):
        assert brick('volume', 'attach', 'vol1').code == \
            exit_codes.NOT_FOUND
