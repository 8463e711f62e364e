# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Flow records, flow owners and leases.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

The placement workflow's records move from taskflow's own SQLAlchemy
tables (``logbooks``, ``flowdetails``, ``atomdetails``, with their own
Alembic history) into tables brick owns, written by brick's
implementation of taskflow's persistence interface.  Flows left
unfinished in taskflow's tables by an earlier brick are copied over, so
that ``brick flow resume`` still sees them (and fails them clearly: the
flow they were recorded with no longer exists).
"""

import datetime
import json

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

UUID = sa.String(36)
FLOW_ID = sa.String(64)
JSON_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mysql', 'mariadb')
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql',
                                        'mariadb')
OLD = ('logbooks', 'flowdetails', 'atomdetails')
NEW = ('flow_books', 'flow_details', 'flow_atoms')


def _times():
    return [sa.Column('created_at', TIMESTAMP, nullable=False),
            sa.Column('updated_at', TIMESTAMP, nullable=True)]


def upgrade():
    op.create_table(
        'flow_books',
        sa.Column('uuid', FLOW_ID, nullable=False),
        sa.Column('name', sa.String(255), nullable=True),
        sa.Column('meta', JSON_TEXT, nullable=True),
        *_times(),
        sa.PrimaryKeyConstraint('uuid', name='pk_flow_books'))
    op.create_table(
        'flow_details',
        sa.Column('uuid', FLOW_ID, nullable=False),
        sa.Column('parent_uuid', FLOW_ID, nullable=False),
        sa.Column('name', sa.String(255), nullable=True),
        sa.Column('state', sa.String(32), nullable=True),
        sa.Column('meta', JSON_TEXT, nullable=True),
        *_times(),
        sa.PrimaryKeyConstraint('uuid', name='pk_flow_details'),
        sa.ForeignKeyConstraint(['parent_uuid'], ['flow_books.uuid'],
                                name='fk_flow_details_parent_uuid',
                                ondelete='CASCADE'))
    op.create_index('ix_flow_details_parent_uuid', 'flow_details',
                    ['parent_uuid'])
    op.create_table(
        'flow_atoms',
        sa.Column('uuid', FLOW_ID, nullable=False),
        sa.Column('parent_uuid', FLOW_ID, nullable=False),
        sa.Column('name', sa.String(255), nullable=True),
        sa.Column('atom_type', sa.String(32), nullable=False),
        sa.Column('version', sa.String(64), nullable=True),
        sa.Column('state', sa.String(32), nullable=True),
        sa.Column('intention', sa.String(32), nullable=True),
        sa.Column('results', JSON_TEXT, nullable=True),
        sa.Column('failure', JSON_TEXT, nullable=True),
        sa.Column('revert_results', JSON_TEXT, nullable=True),
        sa.Column('revert_failure', JSON_TEXT, nullable=True),
        sa.Column('meta', JSON_TEXT, nullable=True),
        *_times(),
        sa.PrimaryKeyConstraint('uuid', name='pk_flow_atoms'),
        sa.ForeignKeyConstraint(['parent_uuid'], ['flow_details.uuid'],
                                name='fk_flow_atoms_parent_uuid',
                                ondelete='CASCADE'))
    op.create_index('ix_flow_atoms_parent_uuid', 'flow_atoms',
                    ['parent_uuid'])
    op.create_table(
        'flow_owners',
        sa.Column('id', UUID, nullable=False),
        sa.Column('host', sa.String(255), nullable=False),
        sa.Column('pid', sa.Integer, nullable=False),
        sa.Column('started', sa.BigInteger, nullable=True),
        sa.Column('machine', sa.String(255), nullable=True),
        sa.Column('expires_at', sa.Double, nullable=False),
        sa.Column('created_at', TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_flow_owners'))
    op.create_table(
        'flow_leases',
        sa.Column('flow_uuid', FLOW_ID, nullable=False),
        sa.Column('owner', UUID, nullable=True),
        sa.Column('taken_at', TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint('flow_uuid', name='pk_flow_leases'),
        sa.ForeignKeyConstraint(['flow_uuid'], ['flow_details.uuid'],
                                name='fk_flow_leases_flow_uuid',
                                ondelete='CASCADE'))
    _copy_old_records()


def _copy_old_records():
    """Copy the rows of taskflow's tables, where an earlier brick made
    them (same columns; a JSON column of PostgreSQL's becomes text)."""
    bind = op.get_bind()
    found = set(sa.inspect(bind).get_table_names())
    if not set(OLD) <= found:
        return
    meta = sa.MetaData()
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    for old, new in zip(OLD, NEW, strict=True):
        source = sa.Table(old, meta, autoload_with=bind)
        target = sa.Table(new, meta, autoload_with=bind)
        columns = [c.name for c in target.columns if c.name in source.c]
        rows = [dict(row._mapping) for row in bind.execute(
            sa.select(*[source.c[name] for name in columns]))]
        for row in rows:
            for key, value in row.items():
                if isinstance(value, dict | list):
                    row[key] = _json(value)
            if row.get('created_at') is None:
                row['created_at'] = now
            if new == 'flow_atoms' and not row.get('atom_type'):
                row['atom_type'] = 'TASK_DETAIL'
        if rows:
            bind.execute(target.insert(), rows)


def _json(value):
    return json.dumps(value)
