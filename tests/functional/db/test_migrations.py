# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
import sqlalchemy as sa

from brick.db import engine
from brick.db import migration
from brick.db import models


def test_upgrade_from_empty_reaches_head_and_matches_the_models(
        database_url):
    db = engine.Database(database_url)
    try:
        assert migration.current(db) is None
        assert migration.upgrade(db) == migration.head() == '0005'
        assert migration.differences(db) == []
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {table.name for table in models.Base.metadata.sorted_tables
                } | {migration.VERSION_TABLE} == tables
    finally:
        db.dispose()


def test_upgrade_twice_is_a_no_op(db):
    assert migration.upgrade(db) == migration.head()
    assert migration.upgrade(db.url.render_as_string(hide_password=False)
                             ) == migration.head()


def test_sqlite_file_is_in_wal_mode_with_foreign_keys(tmp_path):
    db = engine.Database('sqlite:///%s' % (tmp_path / 'sub' / 'b.sqlite'))
    try:
        migration.upgrade(db)
        with db.begin(readonly=True) as conn:
            assert conn.exec_driver_sql('PRAGMA journal_mode').scalar() == \
                'wal'
            assert conn.exec_driver_sql('PRAGMA foreign_keys').scalar() == 1
        assert (tmp_path / 'sub').stat().st_mode & 0o777 == 0o700
    finally:
        db.dispose()
