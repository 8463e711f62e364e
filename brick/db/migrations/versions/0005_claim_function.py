# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""PostgreSQL: the one-volume claim as a PL/pgSQL function.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06

``brick_claim_v1`` takes the space and inserts the reservation in one
statement (see :mod:`brick.inventory.claims`).  PL/pgSQL keeps the plan
of the statement inside per server connection, as a prepared statement
would, but needs nothing of a client's session: a claim through a
pooler in transaction mode (pgbouncer) finds the function on any server
connection, and PostgreSQL re-plans it by itself after a schema change.
Other databases have no function: their claims are two statements in a
transaction.

A change of the claim's conditions (``claims.TAKE``) needs a new
revision that replaces this function (``brick_claim_v2``...), so that
processes of the old and the new brick each call the function they were
written for; a unit test compares the two texts.
"""

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

NAME = 'brick_claim_v1'
FUNCTION = """
CREATE OR REPLACE FUNCTION brick_claim_v1(
    p_pool integer, p_n bigint, p_smallest bigint, p_largest bigint,
    p_gcd bigint, p_now timestamp, p_rid varchar, p_request varchar,
    p_who varchar, p_vol varchar, p_expires timestamp)
RETURNS integer LANGUAGE plpgsql AS $body$
DECLARE
    inserted integer;
BEGIN
    WITH taken AS (
        UPDATE pools SET used = pools.used + p_n,
                         generation = pools.generation + 1,
                         updated_at = p_now
         WHERE pools.id = p_pool AND pools.state = 'enabled'
           AND pools.used + pools.unmanaged + p_n <= pools.capacity
           AND pools.min_unit <= p_smallest
           AND (pools.max_unit IS NULL OR pools.max_unit >= p_largest)
           AND (pools.max_volume IS NULL OR pools.max_volume >= p_largest)
           AND p_gcd % pools.step = 0
        RETURNING pools.id)
    INSERT INTO reservations (id, request_id, consumer, pool_id, size,
                              volume, state, expires_at, created_at)
    SELECT p_rid, p_request, p_who, taken.id, p_n, p_vol, 'reserved',
           p_expires, p_now
      FROM taken;
    GET DIAGNOSTICS inserted = ROW_COUNT;
    RETURN inserted;
END
$body$
"""


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    op.execute(FUNCTION)
