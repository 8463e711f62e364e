# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
import sqlite3

import psycopg2.errors
import pymysql
import pytest

from brick import exception
from brick.db import engine


def test_urls_are_normalised_and_checked():
    assert engine.parse_url('mysql://u@h/db').render_as_string() == \
        'mysql+pymysql://u@h/db?charset=utf8mb4'
    assert engine.parse_url('sqlite:////tmp/x.sqlite').get_backend_name() \
        == 'sqlite'
    with pytest.raises(exception.InvalidValue, match='connection'):
        engine.parse_url('not a url')
    with pytest.raises(exception.InvalidValue, match="'oracle'"):
        engine.parse_url('oracle://u:secret@h/db')


def test_the_constructor_touches_nothing(tmp_path):
    db = engine.Database('sqlite:///%s' % (tmp_path / 'new' / 'b.sqlite'))
    assert db.backend == 'sqlite'
    assert not (tmp_path / 'new').exists()
    assert 'secret' not in repr(engine.Database(
        'postgresql://u:secret@127.0.0.1/brick'))


def test_the_default_database_is_a_file_in_data_dir(conf, tmp_path):
    db = engine.Database.from_conf(conf)
    assert db.url.database == str(tmp_path / 'data' / 'brick.sqlite')
    assert db.reservation_ttl == conf.brick_database.reservation_ttl
    conf.set_override('connection', 'postgresql://u@127.0.0.1/b',
                      group='brick_database')
    assert engine.Database.from_conf(conf).backend == 'postgresql'


@pytest.mark.parametrize('error,transient', [
    (sqlite3.OperationalError('database is locked'), True),
    (sqlite3.OperationalError('no such table: pools'), False),
    (pymysql.err.OperationalError(1213, 'Deadlock found'), True),
    (pymysql.err.OperationalError(1205, 'Lock wait timeout'), True),
    (pymysql.err.IntegrityError(1062, 'Duplicate entry'), False),
])
def test_only_conflicts_are_transient(error, transient):
    assert engine.is_transient(error) is transient


def test_postgresql_conflicts_are_told_by_sqlstate():
    assert {psycopg2.errors.lookup(code).__name__
            for code in engine._PG_TRANSIENT} == {
        'SerializationFailure', 'DeadlockDetected', 'LockNotAvailable'}


def test_retries_stop_at_the_limit_and_count(tmp_path):
    db = engine.Database('sqlite:///%s' % (tmp_path / 'b.sqlite'),
                         claim_retries=2, claim_retry_interval=0)
    stats = engine.RetryStats()
    calls = []

    def always_locked(conn):
        calls.append(conn)
        conn.exec_driver_sql('SELECT 1')
        raise _locked()
    with pytest.raises(exception.ConcurrentUpdate, match='3 attempts'):
        db.run('test', always_locked, stats)
    assert (stats.attempts, stats.conflicts, len(calls)) == (3, 3, 3)
    db.dispose()


def _locked():
    from sqlalchemy import exc
    return exc.OperationalError('BEGIN', {}, sqlite3.OperationalError(
        'database is locked'))
