# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""brick's tables.  Sizes are BIGINT bytes; times are naive UTC.

::

    zones  1─n  racks  1─n  hosts          (a host may have no rack)
      │           │           │
      └───────────┴─────┬─────┘ exactly one, by scope
                        n
                      pools  1─n  reservations  (state reserved ->
                        │                        committed|released|expired)
                        1─n  allocations  (reservation_id: where it came from)
                        1─n  orphans      (volumes of rolled-back placements
                                           not yet deleted on their node)

``pools.used`` is the sum of the pool's allocations and of its
reservations in state ``reserved`` (expired or not, until reaped); it is
kept by the same transactions that change those rows, so that a claim is
one conditional UPDATE (see :mod:`brick.inventory.reservations`).
``pools.capacity`` is ``int((total - reserved) * allocation_ratio)``,
stored so the claim compares integers only; ``unmanaged`` is what the
node found in the pool that brick did not create.

Every change of a pool bumps ``generation`` and sets ``updated_at``, for
a scheduler's incremental cache refresh (:mod:`brick.inventory`;
why ``updated_at`` has no index is said there); deleting one writes a
``tombstones`` row.

The placement workflow's records (:mod:`brick.workflow.backend`, an
implementation of taskflow's persistence interface) live in the same
database::

    flow_books  1─n  flow_details  1─n  flow_atoms
                          1─0..1  flow_leases  (who took the flow over)
    flow_owners   (one row per process that runs flows; a lease with
                   a heartbeat, see brick.workflow.ownership)

The Alembic migrations in :mod:`brick.db.migrations` create exactly
these tables; a test compares the two on every backend.
"""

from typing import cast

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects import mysql

NAME = sa.String(63)
"""brick names (:mod:`brick.names`)."""
CONSUMER = sa.String(255)
"""Instance or volume ids: any string the caller uses."""
UUID = sa.String(36)
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql',
                                        'mariadb')
"""MySQL's DATETIME drops fractions of a second unless told."""
FLOW_ID = sa.String(64)
"""taskflow's ids (UUIDs; taskflow allows up to 64 characters)."""
JSON_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mysql', 'mariadb')
"""JSON documents (a failure's traceback can pass MySQL's 64 KiB TEXT)."""

HOST_STATES = ('up', 'down', 'disabled')
"""Stored values; ``up`` is stored for ``enabled`` (see
:mod:`brick.inventory.hosts`, which alone reads and writes them)."""
POOL_STATES = ('enabled', 'disabled')
SCOPES = ('host', 'rack', 'zone')
RESERVATION_STATES = ('reserved', 'committed', 'released', 'expired')
TOMBSTONE_KINDS = ('pool', 'host')

NAMING = {
    'ix': 'ix_%(table_name)s_%(column_0_N_name)s',
    'uq': 'uq_%(table_name)s_%(column_0_N_name)s',
    'ck': 'ck_%(table_name)s_%(constraint_name)s',
    'fk': 'fk_%(table_name)s_%(column_0_name)s',
    'pk': 'pk_%(table_name)s',
}


class Base(orm.DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)


def _in(column, values):
    return '%s IN (%s)' % (column, ', '.join("'%s'" % v for v in values))


class Zone(Base):
    __tablename__ = 'zones'

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(NAME, nullable=False, unique=True)
    region = sa.Column(NAME, nullable=True)
    created_at = sa.Column(TIMESTAMP, nullable=False)
    updated_at = sa.Column(TIMESTAMP, nullable=False)


class Rack(Base):
    __tablename__ = 'racks'

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(NAME, nullable=False, unique=True)
    zone_id = sa.Column(sa.Integer, sa.ForeignKey('zones.id'),
                        nullable=False, index=True)
    created_at = sa.Column(TIMESTAMP, nullable=False)
    updated_at = sa.Column(TIMESTAMP, nullable=False)


class Host(Base):
    __tablename__ = 'hosts'
    __table_args__ = (
        sa.CheckConstraint(_in('state', HOST_STATES), name='state'),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(NAME, nullable=False, unique=True)
    zone_id = sa.Column(sa.Integer, sa.ForeignKey('zones.id'),
                        nullable=True, index=True)
    rack_id = sa.Column(sa.Integer, sa.ForeignKey('racks.id'),
                        nullable=True, index=True)
    state = sa.Column(sa.String(16), nullable=False)
    state_reason = sa.Column(sa.String(255), nullable=True)
    """Why the host is in its state (``liveness: ...`` when the node
    monitor set it; see :mod:`brick.node.liveness`)."""
    heartbeat_at = sa.Column(TIMESTAMP, nullable=True)
    created_at = sa.Column(TIMESTAMP, nullable=False)
    updated_at = sa.Column(TIMESTAMP, nullable=False)


class Pool(Base):
    __tablename__ = 'pools'
    __table_args__ = (
        # One owner, the one the scope names.
        sa.CheckConstraint(
            "(scope = 'host' AND host_id IS NOT NULL AND rack_id IS NULL "
            "AND zone_id IS NULL) OR "
            "(scope = 'rack' AND rack_id IS NOT NULL AND host_id IS NULL "
            "AND zone_id IS NULL) OR "
            "(scope = 'zone' AND zone_id IS NOT NULL AND host_id IS NULL "
            "AND rack_id IS NULL)", name='owner'),
        sa.CheckConstraint(_in('state', POOL_STATES), name='state'),
        sa.CheckConstraint('used >= 0 AND unmanaged >= 0 AND total >= 0 '
                           'AND reserved >= 0 AND step >= 1 '
                           'AND min_unit >= 1', name='sizes'),
        # Names are unique per owner.  NULLs never collide, so each of
        # these only bites for pools of its own scope.
        sa.UniqueConstraint('host_id', 'name'),
        sa.UniqueConstraint('rack_id', 'name'),
        sa.UniqueConstraint('zone_id', 'name'),
        # No index on used, generation or updated_at: claims change them,
        # and on PostgreSQL an UPDATE that changes no indexed column is a
        # HOT update (no new index entries, dead versions pruned in
        # place).  See brick.inventory for the refresh query.
    )

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(NAME, nullable=False)
    driver = sa.Column(NAME, nullable=False)
    scope = sa.Column(sa.String(8), nullable=False)
    host_id = sa.Column(sa.Integer, sa.ForeignKey('hosts.id'),
                        nullable=True)
    rack_id = sa.Column(sa.Integer, sa.ForeignKey('racks.id'),
                        nullable=True)
    zone_id = sa.Column(sa.Integer, sa.ForeignKey('zones.id'),
                        nullable=True)
    total = sa.Column(sa.BigInteger, nullable=False)
    reserved = sa.Column(sa.BigInteger, nullable=False)
    allocation_ratio = sa.Column(sa.Double, nullable=False)
    capacity = sa.Column(sa.BigInteger, nullable=False)
    used = sa.Column(sa.BigInteger, nullable=False)
    unmanaged = sa.Column(sa.BigInteger, nullable=False)
    min_unit = sa.Column(sa.BigInteger, nullable=False)
    max_unit = sa.Column(sa.BigInteger, nullable=True)
    step = sa.Column(sa.BigInteger, nullable=False)
    max_volume = sa.Column(sa.BigInteger, nullable=True)
    cost = sa.Column(sa.Double, nullable=False)
    role = sa.Column(NAME, nullable=True)
    tags = sa.Column(sa.Text, nullable=False)
    state = sa.Column(sa.String(16), nullable=False)
    generation = sa.Column(sa.BigInteger, nullable=False)
    reported_at = sa.Column(TIMESTAMP, nullable=True)
    created_at = sa.Column(TIMESTAMP, nullable=False)
    updated_at = sa.Column(TIMESTAMP, nullable=False)


class Tombstone(Base):
    """A deleted pool (or host): its id, key (or name) and when, so that
    a scheduler's incremental refresh notices deletions without reading
    every row (:mod:`brick.inventory.pools`).  Kept
    :data:`brick.inventory.pools.TOMBSTONE_DAYS` days."""

    __tablename__ = 'tombstones'
    __table_args__ = (
        sa.CheckConstraint(_in('kind', TOMBSTONE_KINDS), name='kind'),
    )

    id = sa.Column(sa.BigInteger().with_variant(sa.Integer, 'sqlite'),
                   primary_key=True)
    kind = sa.Column(sa.String(8), nullable=False)
    row_id = sa.Column(sa.Integer, nullable=False)
    name = sa.Column(sa.String(255), nullable=False)
    deleted_at = sa.Column(TIMESTAMP, nullable=False, index=True)


class Allocation(Base):
    __tablename__ = 'allocations'

    id = sa.Column(sa.BigInteger().with_variant(sa.Integer, 'sqlite'),
                   primary_key=True)
    consumer = sa.Column(CONSUMER, nullable=False, index=True)
    pool_id = sa.Column(sa.Integer, sa.ForeignKey('pools.id'),
                        nullable=False, index=True)
    size = sa.Column(sa.BigInteger, nullable=False)
    volume = sa.Column(NAME, nullable=True)
    reservation_id = sa.Column(UUID, nullable=True, unique=True)
    created_at = sa.Column(TIMESTAMP, nullable=False)


class Reservation(Base):
    __tablename__ = 'reservations'
    __table_args__ = (
        sa.CheckConstraint(_in('state', RESERVATION_STATES), name='state'),
        sa.CheckConstraint('size > 0', name='size'),
        # The reaper's scan, and a claim's reap of one full pool.
        sa.Index('ix_reservations_state_expires_at', 'state', 'expires_at'),
        sa.Index('ix_reservations_pool_id_state_expires_at', 'pool_id',
                 'state', 'expires_at'),
    )

    id = sa.Column(UUID, primary_key=True)
    request_id = sa.Column(UUID, nullable=False, index=True)
    consumer = sa.Column(CONSUMER, nullable=False, index=True)
    pool_id = sa.Column(sa.Integer, sa.ForeignKey('pools.id'),
                        nullable=False)
    size = sa.Column(sa.BigInteger, nullable=False)
    volume = sa.Column(NAME, nullable=True)
    state = sa.Column(sa.String(16), nullable=False)
    expires_at = sa.Column(TIMESTAMP, nullable=False)
    created_at = sa.Column(TIMESTAMP, nullable=False)
    finished_at = sa.Column(TIMESTAMP, nullable=True)


class Orphan(Base):
    """A volume a placement made and then gave up (rolled back, or its
    create's outcome unknown), not yet seen deleted on its node.  The
    node deletes it after a grace period (:mod:`brick.inventory.census`).
    """

    __tablename__ = 'orphans'
    __table_args__ = (sa.UniqueConstraint('pool_id', 'volume'),)

    id = sa.Column(sa.Integer, primary_key=True)
    pool_id = sa.Column(sa.Integer, sa.ForeignKey('pools.id',
                                                  ondelete='CASCADE'),
                        nullable=False)
    volume = sa.Column(NAME, nullable=False)
    reason = sa.Column(sa.String(255), nullable=False)
    created_at = sa.Column(TIMESTAMP, nullable=False)


class FlowBook(Base):
    __tablename__ = 'flow_books'

    uuid = sa.Column(FLOW_ID, primary_key=True)
    name = sa.Column(sa.String(255), nullable=True)
    meta = sa.Column(JSON_TEXT, nullable=True)
    created_at = sa.Column(TIMESTAMP, nullable=False)
    updated_at = sa.Column(TIMESTAMP, nullable=True)


class FlowDetail(Base):
    __tablename__ = 'flow_details'

    uuid = sa.Column(FLOW_ID, primary_key=True)
    parent_uuid = sa.Column(FLOW_ID, sa.ForeignKey(
        'flow_books.uuid', ondelete='CASCADE'), nullable=False, index=True)
    name = sa.Column(sa.String(255), nullable=True)
    state = sa.Column(sa.String(32), nullable=True)
    meta = sa.Column(JSON_TEXT, nullable=True)
    created_at = sa.Column(TIMESTAMP, nullable=False)
    updated_at = sa.Column(TIMESTAMP, nullable=True)


class FlowAtom(Base):
    __tablename__ = 'flow_atoms'

    uuid = sa.Column(FLOW_ID, primary_key=True)
    parent_uuid = sa.Column(FLOW_ID, sa.ForeignKey(
        'flow_details.uuid', ondelete='CASCADE'), nullable=False,
        index=True)
    name = sa.Column(sa.String(255), nullable=True)
    atom_type = sa.Column(sa.String(32), nullable=False)
    version = sa.Column(sa.String(64), nullable=True)
    state = sa.Column(sa.String(32), nullable=True)
    intention = sa.Column(sa.String(32), nullable=True)
    results = sa.Column(JSON_TEXT, nullable=True)
    failure = sa.Column(JSON_TEXT, nullable=True)
    revert_results = sa.Column(JSON_TEXT, nullable=True)
    revert_failure = sa.Column(JSON_TEXT, nullable=True)
    meta = sa.Column(JSON_TEXT, nullable=True)
    created_at = sa.Column(TIMESTAMP, nullable=False)
    updated_at = sa.Column(TIMESTAMP, nullable=True)


class FlowOwner(Base):
    __tablename__ = 'flow_owners'

    id = sa.Column(UUID, primary_key=True)
    host = sa.Column(sa.String(255), nullable=False)
    pid = sa.Column(sa.Integer, nullable=False)
    started = sa.Column(sa.BigInteger, nullable=True)
    """The process's start time in clock ticks since boot (Linux)."""
    machine = sa.Column(sa.String(255), nullable=True)
    """Boot id and pid namespace: equal means the pid can be checked."""
    expires_at = sa.Column(sa.Double, nullable=False)
    """Seconds since the epoch, on the database's clock."""
    created_at = sa.Column(TIMESTAMP, nullable=False)


class FlowLease(Base):
    __tablename__ = 'flow_leases'

    flow_uuid = sa.Column(FLOW_ID, sa.ForeignKey(
        'flow_details.uuid', ondelete='CASCADE'), primary_key=True)
    owner = sa.Column(UUID, nullable=True)
    """The flow_owners id that took the flow over; NULL: let go."""
    taken_at = sa.Column(TIMESTAMP, nullable=False)


# The tables, as Core statements use them (SQLAlchemy types a mapped
# class's __table__ as any FromClause; these are Tables).
zones = cast(sa.Table, Zone.__table__)
racks = cast(sa.Table, Rack.__table__)
hosts = cast(sa.Table, Host.__table__)
pools = cast(sa.Table, Pool.__table__)
allocations = cast(sa.Table, Allocation.__table__)
reservations = cast(sa.Table, Reservation.__table__)
tombstones = cast(sa.Table, Tombstone.__table__)
orphans = cast(sa.Table, Orphan.__table__)
flow_books = cast(sa.Table, FlowBook.__table__)
flow_details = cast(sa.Table, FlowDetail.__table__)
flow_atoms = cast(sa.Table, FlowAtom.__table__)
flow_owners = cast(sa.Table, FlowOwner.__table__)
flow_leases = cast(sa.Table, FlowLease.__table__)
