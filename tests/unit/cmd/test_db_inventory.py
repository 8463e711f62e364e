# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``brick db ...`` and ``brick inventory ...`` on a real SQLite file."""

import io
import json
import pathlib
import sqlite3

from brick.db import migration
from tests.unit.cmd import run

EXAMPLE = pathlib.Path(__file__).parents[3] / 'etc' / 'brick' / \
    'inventory.yaml.example'


def test_db_upgrade_and_version(capsys, tmp_path):
    data = ['--data-dir', str(tmp_path)]
    version = run(capsys, *data, 'db', 'version', '-f', 'json').json()
    assert version == {'current': 'empty', 'head': migration.head(),
                       'up_to_date': False}
    done = run(capsys, *data, 'db', 'upgrade', '-f', 'json').json()
    assert (done['was'], done['now']) == ('empty', migration.head())
    assert str(tmp_path / 'brick.sqlite') in done['database']
    assert done['flow_records'] == 'up to date'
    with sqlite3.connect(tmp_path / 'brick.sqlite') as conn:
        tables = {row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {'pools', 'reservations', 'flow_books', 'flow_details',
            'flow_atoms', 'flow_owners', 'flow_leases'} <= tables
    assert run(capsys, *data, 'db', 'upgrade', '-f', 'json').json()[
        'was'] == migration.head()
    assert run(capsys, *data, 'db', 'version', '-f', 'json').json()[
        'up_to_date'] is True


def test_inventory_apply_dry_run_apply_and_show(capsys, tmp_path):
    url = 'sqlite:///%s' % (tmp_path / 'inv.sqlite')
    assert run(capsys, 'db', 'upgrade', '--connection', url).code == 0
    dry = run(capsys, 'inventory', 'apply', '-f', str(EXAMPLE),
              '--dry-run', '--connection', url)
    assert dry.code == 0, dry.stderr
    assert dry.stdout.splitlines()[0] == '+ zone zone-a: region=east'
    assert dry.stdout.endswith('10 changes (dry run: nothing was '
                               'changed).\n')
    shown = run(capsys, 'inventory', 'show', '-f', 'json', '--connection',
                url)
    assert shown.json() == []
    applied = run(capsys, 'inventory', 'apply', '-f', str(EXAMPLE),
                  '--connection', url)
    assert applied.stdout.splitlines()[:-1] == dry.stdout.splitlines()[:-1]
    again = run(capsys, 'inventory', 'apply', '-f', str(EXAMPLE),
                '--connection', url)
    assert again.stdout == '0 changes.\n'
    pools = run(capsys, 'inventory', 'show', '-f', 'json', '--connection',
                url).json()
    assert [pool['pool'] for pool in pools] == [
        'host:compute-1/nvme', 'host:compute-2/hdd',
        'rack:rack-a1/nfs-images']
    assert pools[2]['capacity'] == 20 * 2 ** 40
    assert pools[0]['place'] == 'east/zone-a/rack-a1/compute-1'
    table = run(capsys, 'inventory', 'show', '--host', 'compute-1',
                '--connection', url)
    assert '20 TiB' not in table.stdout and 'nvme' in table.stdout


def test_inventory_apply_reads_standard_input(capsys, tmp_path,
                                              monkeypatch):
    # As in: git show main:site/inventory.yaml | brick inventory apply -f -
    url = 'sqlite:///%s' % (tmp_path / 'inv.sqlite')
    monkeypatch.setattr('sys.stdin', io.StringIO(EXAMPLE.read_text()))
    applied = run(capsys, 'inventory', 'apply', '-f', '-', '--connection',
                  url)
    assert applied.code == 0, applied.stderr
    assert applied.stdout.endswith('10 changes.\n')
    monkeypatch.setattr('sys.stdin', io.StringIO('zones: [\n'))
    broken = run(capsys, 'inventory', 'apply', '-f', '-', '--connection',
                 url)
    assert broken.code == 2
    assert '<standard input> is not valid YAML' in broken.stderr


def test_a_bad_file_exits_with_the_error_and_changes_nothing(capsys,
                                                             tmp_path):
    url = 'sqlite:///%s' % (tmp_path / 'inv.sqlite')
    run(capsys, 'db', 'upgrade', '--connection', url)
    bad = tmp_path / 'bad.yaml'
    bad.write_text('pools: [{name: p, driver: raw, host: h1, size: 1G}]\n')
    outcome = run(capsys, 'inventory', 'apply', '-f', str(bad),
                  '--connection', url)
    assert outcome.code == 2
    assert str(bad) in outcome.stderr and "'size'" in outcome.stderr
    missing = run(capsys, 'inventory', 'apply', '-f', str(tmp_path / 'no'),
                  '--connection', url)
    assert missing.code == 2 and 'cannot read' in missing.stderr
    assert json.loads(run(capsys, 'inventory', 'show', '-f', 'json',
                          '--connection', url).stdout) == []
