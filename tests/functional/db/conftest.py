# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""One suite, three databases.

Every test that takes ``db`` (or ``database_url``) runs once per backend:
SQLite (a file in the test's tmp dir), PostgreSQL and MariaDB (one
throwaway server each per session, so per pytest-xdist worker, started
only if a selected test needs it, stopped and waited for at the end
whatever happened; see :mod:`tests.functional.db.servers`).
``BRICK_TEST_POSTGRESQL_URL`` or ``BRICK_TEST_MYSQL_URL`` name an existing
server instead.  Each test gets a database of its own with a random name,
created empty and dropped afterwards, so workers never meet on one
server.  A backend whose server programs are missing skips (an error
under ``BRICK_TEST_STRICT=1``).
"""

import uuid

import pytest
import sqlalchemy as sa

from brick.db import engine
from brick.db import migration
from brick.db import models
from tests import conftest as suite
from tests.functional.db import servers

BACKENDS = ('sqlite', 'postgresql', 'mysql')


def _serve(backend):
    try:
        server = servers.create(backend)
    except servers.Unavailable as err:
        suite.require_tool(err.tool)  # skips: the tool is not on PATH
        raise
    server.start()
    return server


@pytest.fixture(scope='session')
def postgresql_server():
    server = _serve('postgresql')
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope='session')
def mysql_server():
    server = _serve('mysql')
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=[pytest.param(backend, marks=pytest.mark.database(
    backend)) for backend in BACKENDS])
def database_url(request, tmp_path):
    """URL of a new, empty database on each backend."""
    if request.param == 'sqlite':
        yield 'sqlite:///%s' % (tmp_path / 'brick.sqlite')
        return
    server = request.getfixturevalue(request.param + '_server')
    name = 'brick_%s' % uuid.uuid4().hex[:16]
    url = server.create_database(name)
    try:
        yield url
    finally:
        server.drop_database(name)


@pytest.fixture
def db(database_url):
    """A :class:`~brick.db.engine.Database` at the newest schema."""
    database = engine.Database(database_url, claim_retry_interval=0.005)
    migration.upgrade(database)
    try:
        yield database
    finally:
        database.dispose()


def snapshot(db):
    """Every row of every brick table, to show that nothing changed."""
    tables = {}
    with db.begin(readonly=True) as conn:
        for table in models.Base.metadata.sorted_tables:
            key = [column for column in table.primary_key.columns]
            tables[table.name] = [tuple(row) for row in conn.execute(
                sa.select(table).order_by(*key))]
    return tables
