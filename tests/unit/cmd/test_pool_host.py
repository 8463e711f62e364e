# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``brick pool ...``, ``brick host ...`` and ``brick node report`` on a
real SQLite file."""

import json
import os
import pathlib

import pytest

from brick import units
from brick.cmd import pool as pool_command
from brick.inventory import reservations
from tests.unit.cmd import run

EXAMPLE = pathlib.Path(__file__).parents[3] / 'etc' / 'brick' / \
    'inventory.yaml.example'
GiB = units.Gi


class Inventory:
    """``brick`` with ``--data-dir`` in a temporary directory: the
    embedded SQLite database, created on first use."""

    def __init__(self, capsys, tmp_path):
        self.capsys = capsys
        self.data = tmp_path / 'data'

    def __call__(self, *argv):
        return run(self.capsys, '--data-dir', str(self.data), *argv)

    def json(self, *argv):
        return self(*argv, '-f', 'json').json()

    def database(self):
        from brick.db import engine
        return engine.Database('sqlite:///%s' % (self.data /
                                                 'brick.sqlite'))


@pytest.fixture
def brick(capsys, tmp_path):
    brick = Inventory(capsys, tmp_path)
    done = brick('inventory', 'apply', '-f', str(EXAMPLE))
    assert done.code == 0, done.stderr
    return brick


class TestPool:

    def test_create_show_and_list(self, brick):
        created = brick.json('pool', 'create', 'local', '--host',
                             'compute-1', '--driver', 'raw', '--total',
                             '100G', '--reserved', '10G', '--tags', 'ssd,a',
                             '--cost', '2', '--role', 'fast')
        assert list(created) == list(pool_command.SHOW_COLUMNS)
        assert created['pool'] == 'host:compute-1/local'
        assert (created['total'], created['capacity'], created['free']) == (
            100 * GiB, 90 * GiB, 90 * GiB)
        assert (created['tags'], created['cost'], created['role']) == (
            ['a', 'ssd'], 2.0, 'fast')
        assert created['allocations'] == created['reservations'] == 0
        for name in (str(created['id']), 'host:compute-1/local'):
            assert brick.json('pool', 'show', name) == created
        assert brick.json('pool', 'show', 'local', '--host',
                          'compute-1') == created
        listed = brick.json('pool', 'list')
        assert [p['pool'] for p in listed] == [
            'host:compute-1/nvme', 'host:compute-2/hdd',
            'rack:rack-a1/nfs-images', 'host:compute-1/local']
        assert list(listed[0]) == list(pool_command.COLUMNS)
        only = brick.json('pool', 'list', '--host', 'compute-1')
        assert [p['pool'] for p in only] == ['host:compute-1/nvme',
                                             'host:compute-1/local']
        table = brick('pool', 'show', 'host:compute-1/local')
        assert '| capacity         | 90 GiB' in table.stdout

    def test_create_errors(self, brick):
        again = brick('pool', 'create', 'nvme', '--host', 'compute-1',
                      '--driver', 'raw')
        assert (again.code, again.stdout) == (4, '')
        assert 'exists' in again.stderr
        driver = brick('pool', 'create', 'p', '--host', 'compute-1',
                       '--driver', 'nosuch')
        assert driver.code == 3 and "'nosuch'" in driver.stderr
        owner = brick('pool', 'create', 'p', '--driver', 'raw')
        assert owner.code == 2 and 'exactly one owner' in owner.stderr
        size = brick('pool', 'create', 'p', '--host', 'compute-1',
                     '--driver', 'raw', '--total', '10X')
        assert size.code == 2 and "'10X'" in size.stderr
        ratio = brick('pool', 'create', 'p', '--host', 'compute-1',
                      '--driver', 'raw', '--allocation-ratio', 'lots')
        assert ratio.code == 2 and 'allocation_ratio' in ratio.stderr
        host = brick('pool', 'create', 'p', '--host', 'nosuch', '--driver',
                     'raw')
        assert host.code == 3 and "'nosuch'" in host.stderr

    def test_reserved_above_total_is_refused(self, brick):
        created = brick('pool', 'create', 'p', '--host', 'compute-1',
                        '--driver', 'raw', '--total', '100G', '--reserved',
                        '200G')
        assert (created.code, created.stdout) == (2, '')
        assert ('reserved of pool host:compute-1/p 214748364800: 200 GiB, '
                'more than the total of 107374182400 (100 GiB)'
                in created.stderr)
        assert brick('pool', 'show', 'host:compute-1/p').code == 3
        before = brick.json('pool', 'show', 'host:compute-2/hdd')
        updated = brick('pool', 'update', 'host:compute-2/hdd', '--total',
                        '40G')   # its reserved is 50G
        assert updated.code == 2
        assert 'more than the total of 42949672960 (40 GiB)' in \
            updated.stderr
        assert brick.json('pool', 'show', 'host:compute-2/hdd') == before

    def test_list_and_top_filter_on_tags(self, brick):
        def keys(*argv):
            return [p['pool'] for p in brick.json('pool', *argv)]
        assert keys('list', '--tags', 'local') == [
            'host:compute-1/nvme', 'host:compute-2/hdd']
        assert keys('list', '--tags', 'ssd,local') == ['host:compute-1/nvme']
        assert keys('list', '--tags', 'ssd', '--host', 'compute-2') == []
        assert keys('list', '--tags', 'nosuch') == []
        assert keys('list', '--tags', '') == keys('list')
        assert keys('top', '--iterations', '1', '--tags', 'nfs') == [
            'rack:rack-a1/nfs-images']
        bad = brick('pool', 'list', '--tags', 'a b')
        assert bad.code == 2 and "tag in tags to list 'a b'" in bad.stderr

    def test_show_errors(self, brick):
        assert brick('pool', 'show', '99').code == 3
        assert brick('pool', 'show', 'host:compute-1/nope').code == 3
        bad = brick('pool', 'show', 'nvme')
        assert bad.code == 2
        assert "Invalid pool 'nvme'" in bad.stderr
        assert '--host' in bad.stderr

    def test_update_enable_disable(self, brick):
        updated = brick.json('pool', 'update', 'host:compute-2/hdd',
                             '--total', '1T', '--allocation-ratio', '2',
                             '--tags', '', '--role', '')
        assert (updated['total'], updated['reserved'],
                updated['capacity']) == (
            1024 * GiB, 50 * GiB, 2 * 974 * GiB)
        assert (updated['tags'], updated['role']) == ([], '')
        generation = updated['generation']
        same = brick.json('pool', 'update', 'host:compute-2/hdd', '--total',
                          '1T')
        assert same['generation'] == generation
        stale = brick('pool', 'update', 'host:compute-2/hdd', '--cost', '9',
                      '--expected-generation', str(generation - 1))
        assert stale.code == 4 and 'generation' in stale.stderr
        disabled = brick.json('pool', 'disable', 'hdd', '--host',
                              'compute-2')
        assert disabled['state'] == 'disabled'
        assert [p['pool'] for p in brick.json(
            'pool', 'list', '--state', 'disabled')] == ['host:compute-2/hdd']
        assert brick.json('pool', 'enable', str(disabled['id']))[
            'state'] == 'enabled'

    def test_delete(self, brick):
        pool = brick.json('pool', 'show', 'host:compute-2/hdd')
        brick('pool', 'update', str(pool['id']), '--total', '100G')
        db = brick.database()
        try:
            reservations.claim(db, 'vm-1', [(pool['id'], GiB, 'disk')])
        finally:
            db.dispose()
        held = brick('pool', 'delete', 'host:compute-2/hdd')
        assert held.code == 4
        assert '1 reservations' in held.stderr
        done = brick('pool', 'delete', 'host:compute-2/hdd', '--force')
        assert (done.code, done.stdout, done.stderr) == (0, '', '')
        assert brick('pool', 'delete', 'host:compute-2/hdd').code == 0
        assert brick('pool', 'show', str(pool['id'])).code == 3

    def test_top_refreshes_until_iterations(self, brick):
        pool = brick.json('pool', 'show', 'rack:rack-a1/nfs-images')
        db = brick.database()
        try:
            reservations.claim(db, 'vm-1', [(pool['id'], 5 * GiB, 'a'),
                                            (pool['id'], 5 * GiB, 'b')])
        finally:
            db.dispose()
        table = brick('pool', 'top', '--iterations', '3', '--interval', '0')
        assert table.code == 0, table.stderr
        assert table.stdout.count('brick pool top: ') == 3
        assert table.stdout.count('| pool ') == 3
        views = brick('pool', 'top', '--iterations', '2', '--interval', '0',
                      '-f', 'json', '--noindent')
        lines = views.stdout.splitlines()
        assert len(lines) == 2
        first = json.loads(lines[0])
        assert first == json.loads(lines[1])
        # fullest first
        assert first[0]['pool'] == 'rack:rack-a1/nfs-images'
        assert (first[0]['used'], first[0]['volumes']) == (10 * GiB, 2)
        assert first[0]['used_pct'] == round(100 * 10 / (20 * 1024), 2)
        assert list(first[0]) == list(pool_command.TOP_COLUMNS)
        bad = brick('pool', 'top', '--iterations', '1', '--interval', 'x')
        assert bad.code == 2 and 'interval' in bad.stderr


class TestHost:

    def test_list_and_show(self, brick):
        hosts = brick.json('host', 'list')
        assert [(h['name'], h['state'], h['rack'], h['pools'])
                for h in hosts] == [
            ('compute-1', 'enabled', 'rack-a1', ['host:compute-1/nvme']),
            ('compute-2', 'enabled', 'rack-a1', ['host:compute-2/hdd']),
            ('compute-3', 'disabled', 'rack-b1', [])]
        shown = brick.json('host', 'show', 'compute-1')
        assert (shown['zone'], shown['region'], shown['heartbeat_at']) == (
            'zone-a', 'east', None)
        assert shown['updated_at'].endswith('Z')
        missing = brick('host', 'show', 'nosuch')
        assert missing.code == 3 and "'nosuch'" in missing.stderr

    def test_one_vocabulary_with_the_file(self, brick, tmp_path):
        # The file says enabled/disabled; so do host list, enable and the
        # library; 'up', the old word, is still understood on input.
        hosts = {h['name']: h['state'] for h in brick.json('host', 'list')}
        assert set(hosts.values()) == {'enabled', 'disabled'}
        from brick.inventory import hosts as hosts_mod
        db = brick.database()
        try:
            hosts_mod.set_host_state(db, 'compute-3', 'up')
            assert hosts_mod.get_host(db, 'compute-3').state == 'enabled'
            hosts_mod.set_host_state(db, 'compute-2', 'down')
            hosts_mod.heartbeat(db, 'compute-2')
            assert hosts_mod.get_host(db, 'compute-2').state == 'enabled'
            with pytest.raises(Exception, match='enabled, down, disabled'):
                hosts_mod.set_host_state(db, 'compute-2', 'sleepy')
        finally:
            db.dispose()
        assert brick.json('host', 'show', 'compute-3')['state'] == 'enabled'
        # The file's word and the host's are the same: the diff says so.
        again = brick('inventory', 'apply', '-f', str(EXAMPLE))
        assert again.stdout == ('~ host compute-3: state enabled -> '
                                'disabled\n1 change.\n')

    def test_enable_disable_create(self, brick):
        assert brick.json('host', 'disable', 'compute-1')['state'] == \
            'disabled'
        assert brick.json('host', 'enable', 'compute-3')['state'] == \
            'enabled'
        assert brick('host', 'enable', 'nosuch').code == 3
        created = brick.json('host', 'create', 'compute-9', '--rack',
                             'rack-b1')
        assert (created['zone'], created['state']) == ('zone-b', 'enabled')
        assert brick('host', 'create', 'compute-9').code == 4
        bad = brick('host', 'create', 'x y')
        assert bad.code == 2 and 'host name' in bad.stderr


def test_inventory_commands_need_an_up_to_date_schema(capsys, tmp_path):
    url = 'sqlite:///%s' % (tmp_path / 'other.sqlite')
    # An embedded default database is created on first use...
    fresh = run(capsys, '--data-dir', str(tmp_path), 'host', 'list', '-f',
                'json')
    assert fresh.json() == []
    # ...and so is any other SQLite file; the message names the fix for
    # a database at another revision.
    assert run(capsys, 'pool', 'list', '--connection', url).code == 0
    import sqlalchemy as sa
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE brick_alembic_version SET "
                             "version_num = '0000'"))
    engine.dispose()
    old = run(capsys, 'pool', 'list', '--connection', url)
    assert old.code == 2
    assert "run 'brick db upgrade'" in old.stderr


NODE = """\
[brick]
data_dir = {tmp}/data

[brick_node]
host = n1
pools = raw, fast

[pool:raw]
driver = raw
path = {tmp}/raw

[pool:fast]
driver = raw
path = {tmp}/fast
"""


def test_node_report_writes_this_nodes_capacity(capsys, tmp_path):
    conf = tmp_path / 'brick.conf'
    conf.write_text(NODE.format(tmp=tmp_path))

    def brick(*argv):
        return run(capsys, '--config-file', str(conf), *argv)

    assert brick('host', 'create', 'n1').code == 0
    assert brick('pool', 'create', 'raw', '--host', 'n1', '--driver',
                 'raw', '--reserved', '1M').code == 0
    partial = brick('node', 'report', '-f', 'json')
    assert partial.code == 3
    assert "brick pool create fast --host n1 --driver raw" in partial.stderr
    (pool,) = json.loads(partial.stdout)
    fs = os.statvfs(tmp_path)
    assert pool['pool'] == 'host:n1/raw'
    assert pool['capacity'] == fs.f_blocks * fs.f_frsize - units.Mi
    assert pool['generation'] == 1
    assert brick('pool', 'create', 'fast', '--host', 'n1', '--driver',
                 'raw').code == 0
    both = brick('node', 'report', '-f', 'json')
    assert [p['pool'] for p in both.json()] == ['host:n1/fast',
                                                'host:n1/raw']
    shown = brick('pool', 'show', 'host:n1/raw', '-f', 'json').json()
    assert shown['reported_at'] is not None
