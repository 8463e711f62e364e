# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""PostgreSQL's one-volume claim, the ``brick_claim_v1`` function of
migration 0005, says yes and no exactly where ``claims.TAKE`` (the
claim on every other database, and of several volumes) does, and goes
on working after a schema change."""

import uuid

import pytest
import sqlalchemy as sa

from brick.db import engine
from brick.db import migration
from brick.inventory import claims
from brick.inventory import hosts
from brick.inventory import pools
from brick.inventory import reservations
from brick.inventory import topology

MIB = 1 << 20
# (pool fields, size to claim): every condition of the claim, met or not.
CASES = [
    ({}, MIB),
    ({'total': 4 * MIB}, 5 * MIB),
    ({'total': 4 * MIB}, 4 * MIB),
    ({'min_unit': 2 * MIB}, MIB),
    ({'max_unit': 2 * MIB}, 3 * MIB),
    ({'step': 4 * MIB}, 6 * MIB),
    ({'step': 4 * MIB}, 8 * MIB),
    ({'max_volume': 2 * MIB}, 3 * MIB),
    ({'state': 'disabled'}, MIB),
]


@pytest.fixture
def pg(postgresql_server):
    name = 'brick_%s' % uuid.uuid4().hex[:16]
    url = postgresql_server.create_database(name)
    db = engine.Database(url, pool_size=1, max_overflow=0)
    migration.upgrade(db)
    topology.create_zone(db, 'z')
    hosts.create_host(db, 'h', zone='z')
    try:
        yield db
    finally:
        db.dispose()
        postgresql_server.drop_database(name)


def _pool(db, index, fields):
    values = dict({'total': 1 << 40}, **fields)
    state = values.pop('state', None)
    pool = pools.create_pool(db, 'p%d' % index, 'raw', host='h', **values)
    if state:
        pools.update_pool(db, pool.id, state=state)
    return pool


def _by_take(db, pool, size):
    plan = claims.per_pool([claims.Claim(pool.id, size)])
    try:
        with db.begin() as conn:
            claims.take(conn, plan, engine.utcnow())
            raise RuntimeError('roll back')  # only the answer matters
    except claims.Full:
        return False
    except RuntimeError:
        return True


def test_the_function_and_take_agree(pg):
    for index, (fields, size) in enumerate(CASES):
        pool = _pool(pg, index, fields)
        expected = _by_take(pg, pool, size)
        got = _by_function(pg, pool, size)
        assert got == expected, (fields, size)


def _by_function(db, pool, size):
    now = engine.utcnow()
    row = claims.rows([claims.Claim(pool.id, size)], 'c', str(uuid.uuid4()),
                      now, 60)[0]
    plan = claims.per_pool([claims.Claim(pool.id, size)])
    try:
        with db.begin(autocommit=True) as conn:
            claims.take_and_insert(conn, plan, row)
    except claims.Full:
        return False
    return True


def test_claims_go_on_after_a_schema_change(pg):
    pool = _pool(pg, 0, {})
    assert reservations.claim(pg, 'c', [(pool.id, MIB)])
    with pg.begin() as conn:  # the same server connection (pool_size 1)
        conn.execute(sa.text('ALTER TABLE pools ADD COLUMN extra integer'))
        conn.execute(sa.text('ALTER TABLE reservations ADD COLUMN note '
                             'text'))
    (again,) = reservations.claim(pg, 'c', [(pool.id, MIB)])
    assert again.state == 'reserved'
    assert pools.get_pool(pg, pool.id).used == 2 * MIB
