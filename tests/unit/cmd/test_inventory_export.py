# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``brick inventory export`` writes what ``apply`` reads back with no
change, on a real SQLite file."""

import pathlib

from brick.db import engine
from brick.inventory import export
from brick.inventory import file as inventory_file
from brick.inventory import hosts
from brick.inventory import pools
from tests.unit.cmd import run

EXAMPLE = pathlib.Path(__file__).parents[3] / 'etc' / 'brick' / \
    'inventory.yaml.example'


def test_export_round_trips_through_apply(capsys, tmp_path):
    url = 'sqlite:///%s' % (tmp_path / 'inv.sqlite')
    assert run(capsys, 'inventory', 'apply', '-f', str(EXAMPLE),
               '--connection', url).code == 0
    db = engine.Database(url)
    try:
        # What an operator changes by hand after the file was applied.
        hosts.set_host_state(db, 'compute-1', 'down')
        hosts.set_host_state(db, 'compute-2', 'disabled')
        first = pools.list_pools(db)[0]
        pools.update_pool(db, first.id, cost=7.5, tags=['gold', 'nvme'])
    finally:
        db.dispose()
    out = tmp_path / 'site.yaml'
    done = run(capsys, 'inventory', 'export', '-o', str(out),
               '--connection', url)
    assert done.code == 0, done.stderr
    text = out.read_text()
    assert text.startswith(export.HEADER)
    assert run(capsys, 'inventory', 'export', '--connection',
               url).stdout == text
    again = run(capsys, 'inventory', 'apply', '-f', str(out),
                '--connection', url)
    assert again.stdout == '0 changes.\n', again.stdout
    loaded = inventory_file.parse(text, 'export')
    assert loaded.hosts['compute-2'][2] == 'disabled'
    assert loaded.hosts['compute-1'][2] == 'enabled'   # down stays down
    assert loaded.pools[(first.scope, first.owner, first.name)]['tags'] \
        == ('gold', 'nvme')
    db = engine.Database(url)
    try:
        assert hosts.get_host(db, 'compute-1').state == 'down'
        # Into an empty database, the file makes the same inventory.
        other = engine.Database('sqlite:///%s' % (tmp_path / 'b.sqlite'))
        try:
            assert run(capsys, 'inventory', 'apply', '-f', str(out),
                       '--connection', other.url.render_as_string(
                           hide_password=False)).code == 0
            assert export.dump(export.read(other)) == text
        finally:
            other.dispose()
    finally:
        db.dispose()


def test_export_of_an_empty_inventory_applies(capsys, tmp_path):
    url = 'sqlite:///%s' % (tmp_path / 'inv.sqlite')
    text = run(capsys, 'inventory', 'export', '--connection', url).stdout
    assert inventory_file.parse(text).hosts == {}
