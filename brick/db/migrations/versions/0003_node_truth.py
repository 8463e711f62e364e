# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Why a host is down, and the orphans of rolled-back placements.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

``hosts.state_reason`` says why a host is in its state (the node
monitor writes ``liveness: ...`` there); ``orphans`` records volumes a
placement made and then gave up, until their node deletes them.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

NAME = sa.String(63)
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql',
                                        'mariadb')


def upgrade():
    with op.batch_alter_table('hosts') as batch:
        batch.add_column(sa.Column('state_reason', sa.String(255),
                                   nullable=True))
    op.create_table(
        'orphans',
        sa.Column('id', sa.Integer, nullable=False),
        sa.Column('pool_id', sa.Integer, nullable=False),
        sa.Column('volume', NAME, nullable=False),
        sa.Column('reason', sa.String(255), nullable=False),
        sa.Column('created_at', TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_orphans'),
        sa.ForeignKeyConstraint(['pool_id'], ['pools.id'],
                                name='fk_orphans_pool_id',
                                ondelete='CASCADE'),
        sa.UniqueConstraint('pool_id', 'volume',
                            name='uq_orphans_pool_id_volume'))
