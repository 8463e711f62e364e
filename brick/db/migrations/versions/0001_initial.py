# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Topology, pools, reservations and allocations.

Revision ID: 0001
Revises:
Create Date: 2026-11-22

Written out in full rather than importing brick.db.models, so that this
revision keeps creating the same tables when the models move on.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

NAME = sa.String(63)
CONSUMER = sa.String(255)
UUID = sa.String(36)
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql',
                                        'mariadb')


def _times():
    return [sa.Column('created_at', TIMESTAMP, nullable=False),
            sa.Column('updated_at', TIMESTAMP, nullable=False)]


def upgrade():
    op.create_table(
        'zones',
        sa.Column('id', sa.Integer, nullable=False),
        sa.Column('name', NAME, nullable=False),
        sa.Column('region', NAME, nullable=True),
        *_times(),
        sa.PrimaryKeyConstraint('id', name='pk_zones'),
        sa.UniqueConstraint('name', name='uq_zones_name'))

    op.create_table(
        'racks',
        sa.Column('id', sa.Integer, nullable=False),
        sa.Column('name', NAME, nullable=False),
        sa.Column('zone_id', sa.Integer, nullable=False),
        *_times(),
        sa.PrimaryKeyConstraint('id', name='pk_racks'),
        sa.UniqueConstraint('name', name='uq_racks_name'),
        sa.ForeignKeyConstraint(['zone_id'], ['zones.id'],
                                name='fk_racks_zone_id'))
    op.create_index('ix_racks_zone_id', 'racks', ['zone_id'])

    op.create_table(
        'hosts',
        sa.Column('id', sa.Integer, nullable=False),
        sa.Column('name', NAME, nullable=False),
        sa.Column('zone_id', sa.Integer, nullable=True),
        sa.Column('rack_id', sa.Integer, nullable=True),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('heartbeat_at', TIMESTAMP, nullable=True),
        *_times(),
        sa.PrimaryKeyConstraint('id', name='pk_hosts'),
        sa.UniqueConstraint('name', name='uq_hosts_name'),
        sa.ForeignKeyConstraint(['zone_id'], ['zones.id'],
                                name='fk_hosts_zone_id'),
        sa.ForeignKeyConstraint(['rack_id'], ['racks.id'],
                                name='fk_hosts_rack_id'),
        sa.CheckConstraint("state IN ('up', 'down', 'disabled')",
                           name='ck_hosts_state'))
    op.create_index('ix_hosts_zone_id', 'hosts', ['zone_id'])
    op.create_index('ix_hosts_rack_id', 'hosts', ['rack_id'])

    op.create_table(
        'pools',
        sa.Column('id', sa.Integer, nullable=False),
        sa.Column('name', NAME, nullable=False),
        sa.Column('driver', NAME, nullable=False),
        sa.Column('scope', sa.String(8), nullable=False),
        sa.Column('host_id', sa.Integer, nullable=True),
        sa.Column('rack_id', sa.Integer, nullable=True),
        sa.Column('zone_id', sa.Integer, nullable=True),
        sa.Column('total', sa.BigInteger, nullable=False),
        sa.Column('reserved', sa.BigInteger, nullable=False),
        sa.Column('allocation_ratio', sa.Double, nullable=False),
        sa.Column('capacity', sa.BigInteger, nullable=False),
        sa.Column('used', sa.BigInteger, nullable=False),
        sa.Column('unmanaged', sa.BigInteger, nullable=False),
        sa.Column('min_unit', sa.BigInteger, nullable=False),
        sa.Column('max_unit', sa.BigInteger, nullable=True),
        sa.Column('step', sa.BigInteger, nullable=False),
        sa.Column('max_volume', sa.BigInteger, nullable=True),
        sa.Column('cost', sa.Double, nullable=False),
        sa.Column('role', NAME, nullable=True),
        sa.Column('tags', sa.Text, nullable=False),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('generation', sa.BigInteger, nullable=False),
        sa.Column('reported_at', TIMESTAMP, nullable=True),
        *_times(),
        sa.PrimaryKeyConstraint('id', name='pk_pools'),
        sa.ForeignKeyConstraint(['host_id'], ['hosts.id'],
                                name='fk_pools_host_id'),
        sa.ForeignKeyConstraint(['rack_id'], ['racks.id'],
                                name='fk_pools_rack_id'),
        sa.ForeignKeyConstraint(['zone_id'], ['zones.id'],
                                name='fk_pools_zone_id'),
        sa.UniqueConstraint('host_id', 'name', name='uq_pools_host_id_name'),
        sa.UniqueConstraint('rack_id', 'name', name='uq_pools_rack_id_name'),
        sa.UniqueConstraint('zone_id', 'name', name='uq_pools_zone_id_name'),
        sa.CheckConstraint(
            "(scope = 'host' AND host_id IS NOT NULL AND rack_id IS NULL "
            "AND zone_id IS NULL) OR "
            "(scope = 'rack' AND rack_id IS NOT NULL AND host_id IS NULL "
            "AND zone_id IS NULL) OR "
            "(scope = 'zone' AND zone_id IS NOT NULL AND host_id IS NULL "
            "AND rack_id IS NULL)", name='ck_pools_owner'),
        sa.CheckConstraint("state IN ('enabled', 'disabled')",
                           name='ck_pools_state'),
        sa.CheckConstraint('used >= 0 AND unmanaged >= 0 AND total >= 0 '
                           'AND reserved >= 0 AND step >= 1 '
                           'AND min_unit >= 1', name='ck_pools_sizes'))

    op.create_table(
        'allocations',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer, 'sqlite'),
                  nullable=False),
        sa.Column('consumer', CONSUMER, nullable=False),
        sa.Column('pool_id', sa.Integer, nullable=False),
        sa.Column('size', sa.BigInteger, nullable=False),
        sa.Column('volume', NAME, nullable=True),
        sa.Column('reservation_id', UUID, nullable=True),
        sa.Column('created_at', TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_allocations'),
        sa.ForeignKeyConstraint(['pool_id'], ['pools.id'],
                                name='fk_allocations_pool_id'),
        sa.UniqueConstraint('reservation_id',
                            name='uq_allocations_reservation_id'))
    op.create_index('ix_allocations_consumer', 'allocations', ['consumer'])
    op.create_index('ix_allocations_pool_id', 'allocations', ['pool_id'])

    op.create_table(
        'reservations',
        sa.Column('id', UUID, nullable=False),
        sa.Column('request_id', UUID, nullable=False),
        sa.Column('consumer', CONSUMER, nullable=False),
        sa.Column('pool_id', sa.Integer, nullable=False),
        sa.Column('size', sa.BigInteger, nullable=False),
        sa.Column('volume', NAME, nullable=True),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('expires_at', TIMESTAMP, nullable=False),
        sa.Column('created_at', TIMESTAMP, nullable=False),
        sa.Column('finished_at', TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint('id', name='pk_reservations'),
        sa.ForeignKeyConstraint(['pool_id'], ['pools.id'],
                                name='fk_reservations_pool_id'),
        sa.CheckConstraint(
            "state IN ('reserved', 'committed', 'released', 'expired')",
            name='ck_reservations_state'),
        sa.CheckConstraint('size > 0', name='ck_reservations_size'))
    op.create_index('ix_reservations_request_id', 'reservations',
                    ['request_id'])
    op.create_index('ix_reservations_consumer', 'reservations', ['consumer'])
    op.create_index('ix_reservations_state_expires_at', 'reservations',
                    ['state', 'expires_at'])
    op.create_index('ix_reservations_pool_id_state_expires_at',
                    'reservations', ['pool_id', 'state', 'expires_at'])
