# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Tombstones: what was deleted and when, for incremental refreshes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06

A scheduler's cache refresh reads the rows changed since its last one;
a deleted row leaves nothing to read, so its deletion writes a tombstone
that the refresh reads instead of re-reading every row.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql',
                                        'mariadb')


def upgrade():
    op.create_table(
        'tombstones',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer, 'sqlite'),
                  nullable=False),
        sa.Column('kind', sa.String(8), nullable=False),
        sa.Column('row_id', sa.Integer, nullable=False),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('deleted_at', TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_tombstones'),
        sa.CheckConstraint("kind IN ('pool', 'host')",
                           name='ck_tombstones_kind'))
    op.create_index('ix_tombstones_deleted_at', 'tombstones', ['deleted_at'])
