# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Hosts and pools: what can be claimed, where.

A pool belongs to one owner, named by its scope: a host (``scope
'host'``, local storage), a rack or a zone (storage every host of that
rack or zone reaches, e.g. a qcow2 directory on NFS).  Its name is unique
per owner.  Its capacity is ``int((total - reserved) *
allocation_ratio)`` (:func:`brick.scheduler.fields.capacity`); its free
space is ``capacity - used - unmanaged`` where ``used`` counts brick's
allocations and live reservations and ``unmanaged`` what the node found
that brick did not create (:mod:`brick.scheduler.pools`).

**Refreshing a cache.**  Every change of a pool (inventory, claims,
releases, reports) bumps ``generation`` and sets ``updated_at``.  A
scheduler holding pools in memory refreshes with :func:`changed_pools`::

    SELECT * FROM pools WHERE updated_at >= :watermark - :margin

keeping, per pool, the row with the higher generation, and moving the
watermark to the largest ``updated_at`` seen.  The margin (a few seconds,
:data:`REFRESH_MARGIN`) covers clock skew between writers and
transactions that committed after a later-stamped one; the generation
comparison makes re-reading a row harmless.  Deleted pools and host
state are found by a full :func:`list_pools` / :func:`list_hosts` now
and then (pools are deleted only by an operator).  A stale cache is never
a correctness problem: the claim itself checks capacity atomically, and
a stale candidate costs one InsufficientCapacity.

``updated_at`` is deliberately **not indexed**, so the query scans the
pools table.  Claims change ``updated_at`` on the hottest rows hundreds
of times a second; with an index there, every claim on PostgreSQL is a
non-HOT update that adds an entry to each of the table's indexes and
leaves dead ones behind until vacuum (measured: about a quarter more
server CPU per claim, and 5,688 of 5,688 updates non-HOT against 5,904
of 5,904 HOT without it).  The scan is cheap by comparison: 2.5 ms of
server time for 10,000 pools (PostgreSQL 15, this 2-core machine).
"""

import dataclasses
import datetime
import json

import sqlalchemy as sa

from brick import exception
from brick import names
from brick.db import engine
from brick.db import models
from brick.scheduler import fields
from brick.scheduler import topology

REFRESH_MARGIN = datetime.timedelta(seconds=5)


@dataclasses.dataclass(frozen=True)
class Host:
    id: int
    name: str
    place: topology.Place
    state: str
    heartbeat_at: datetime.datetime | None
    updated_at: datetime.datetime


@dataclasses.dataclass(frozen=True)
class Pool:
    """A pool as stored; sizes in bytes."""

    id: int
    name: str
    driver: str
    scope: str
    owner: str
    """Name of the host, rack or zone the scope names."""
    place: topology.Place
    total: int
    reserved: int
    allocation_ratio: float
    capacity: int
    used: int
    unmanaged: int
    min_unit: int
    max_unit: int | None
    step: int
    max_volume: int | None
    cost: float
    role: str | None
    tags: tuple
    state: str
    generation: int
    reported_at: datetime.datetime | None
    updated_at: datetime.datetime

    @property
    def free(self):
        """Bytes a claim may still take (never negative)."""
        return max(0, self.capacity - self.used - self.unmanaged)

    @property
    def key(self):
        """``host:NAME/POOL`` (or ``rack:``, ``zone:``): unique."""
        return '%s:%s/%s' % (self.scope, self.owner, self.name)


# -- reading ------------------------------------------------------------------

# A host's pool comes with its host's name and place: one query, whatever
# the number of hosts.
_READ_POOLS = sa.select(
    models.pools, models.hosts.c.name.label('host_name'),
    models.hosts.c.zone_id.label('host_zone_id'),
    models.hosts.c.rack_id.label('host_rack_id')).select_from(
        models.pools.outerjoin(
            models.hosts, models.pools.c.host_id == models.hosts.c.id)
).order_by(models.pools.c.id)


def _pool(topo, row):
    if row.scope == 'host':
        owner = row.host_name
        place = topo.place(row.host_zone_id, row.host_rack_id, owner)
    elif row.scope == 'rack':
        owner = topo.racks[row.rack_id].name
        place = topo.place(None, row.rack_id)
    else:
        owner = topo.zones[row.zone_id].name
        place = topo.place(row.zone_id)
    return Pool(
        id=row.id, name=row.name, driver=row.driver, scope=row.scope,
        owner=owner, place=place, total=row.total, reserved=row.reserved,
        allocation_ratio=row.allocation_ratio, capacity=row.capacity,
        used=row.used, unmanaged=row.unmanaged, min_unit=row.min_unit,
        max_unit=row.max_unit, step=row.step, max_volume=row.max_volume,
        cost=row.cost, role=row.role, tags=tuple(json.loads(row.tags)),
        state=row.state, generation=row.generation,
        reported_at=row.reported_at, updated_at=row.updated_at)


def read_pools(conn, where=None):
    """Pools matching the SQL condition *where*, in the caller's
    transaction, ordered by id.  *where* may name columns of ``pools``
    and of ``hosts``, the owner of a host's pool."""
    topo = topology.Map(conn)
    query = _READ_POOLS if where is None else _READ_POOLS.where(where)
    return [_pool(topo, row) for row in conn.execute(query)]


def list_pools(db, host=None, state=None):
    """All pools, or those of host *host* / in *state*, ordered by id."""
    conditions = []
    if host is not None:
        conditions.append(models.hosts.c.name == host)
    if state is not None:
        conditions.append(models.pools.c.state == state)
    where = sa.and_(*conditions) if conditions else None
    return db.run('pools', lambda conn: read_pools(conn, where),
                  readonly=True)


def get_pool(db, pool_id):
    """Return the :class:`Pool` with id *pool_id*.

    :raises brick.exception.PoolNotFound: no such pool.
    """
    found = db.run('pool %s' % pool_id, lambda conn: read_pools(
        conn, models.pools.c.id == pool_id), readonly=True)
    if not found:
        raise exception.PoolNotFound(name=pool_id, reason='no pool has '
                                     'this id')
    return found[0]


def owner_id(conn, scope, owner, purpose):
    """Id of the host, rack or zone named *owner* (per *scope*); raises
    NotFound naming *purpose* if there is none."""
    if scope == 'host':
        return host_row(conn, owner, purpose).id
    if scope == 'rack':
        return topology.rack_row(conn, owner, purpose).id
    return topology.zone_id(conn, owner, purpose)


def owner_condition(conn, scope, owner, purpose):
    """SQL condition selecting the pools of *owner* (see
    :func:`owner_id`)."""
    return models.pools.c[scope + '_id'] == owner_id(conn, scope, owner,
                                                     purpose)


def find_pool(db, name, host=None, rack=None, zone=None):
    """Return pool *name* of exactly one of *host*, *rack* or *zone*.

    :raises brick.exception.InvalidInput: not exactly one owner.
    :raises brick.exception.NotFound: no such owner or pool.
    """
    scope, owner = fields.scope(host, rack, zone, 'pool %r' % name)

    def work(conn):
        found = read_pools(conn, sa.and_(
            owner_condition(conn, scope, owner, 'owner of pool %r' % name),
            models.pools.c.name == name))
        if not found:
            raise exception.PoolNotFound(
                name=name, reason='%s %r has no such pool' % (scope, owner))
        return found[0]
    return db.run('pool %s' % name, work, readonly=True)


def changed_pools(db, since=None):
    """Pools changed at or after *since* minus :data:`REFRESH_MARGIN`.

    :param since: the largest ``updated_at`` of the previous refresh, or
        None for every pool.
    :returns: ``(pools, watermark)``: the pools ordered by id, and the
        value to pass as *since* next time (their largest ``updated_at``,
        or *since* if none changed).
    """
    where = None
    if since is not None:
        where = models.pools.c.updated_at >= since - REFRESH_MARGIN
    found = db.run('pools', lambda conn: read_pools(conn, where),
                   readonly=True)
    watermark = max((pool.updated_at for pool in found), default=since)
    return found, watermark


# -- hosts --------------------------------------------------------------------

def host_row(conn, name, purpose):
    """Return the row of host *name*; raise NotFound naming *purpose*."""
    return topology.named_row(conn, models.hosts, 'host', name, purpose)


def _host_place(conn, name, zone, rack):
    """(zone_id, rack_id) for a host placed in *zone* and/or *rack*."""
    if rack is not None:
        row = topology.rack_row(conn, rack, 'the rack of host %r' % name)
        if zone is not None and topology.zone_id(
                conn, zone, 'the zone of host %r' % name) != row.zone_id:
            raise exception.InvalidValue(
                field='zone of host %s' % name, value=zone,
                allowed='the zone of rack %s, or none' % rack)
        return row.zone_id, row.id
    if zone is not None:
        return topology.zone_id(conn, zone, 'the zone of host %r' % name), \
            None
    return None, None


def read_hosts(conn, where=None):
    """Hosts matching *where*, in the caller's transaction, by name."""
    topo = topology.Map(conn)
    query = sa.select(models.hosts).order_by(models.hosts.c.name)
    if where is not None:
        query = query.where(where)
    return [Host(row.id, row.name,
                 topo.place(row.zone_id, row.rack_id, row.name), row.state,
                 row.heartbeat_at, row.updated_at)
            for row in conn.execute(query)]


def list_hosts(db):
    """Every :class:`Host`, by name."""
    return db.run('hosts', read_hosts, readonly=True)


def get_host(db, name):
    """Return :class:`Host` *name*; raise NotFound if there is none."""
    def work(conn):
        found = read_hosts(conn, models.hosts.c.name == name)
        if not found:
            raise exception.NotFound(what='host %r' % name)
        return found[0]
    return db.run('host %s' % name, work, readonly=True)


def insert_host(conn, name, zone=None, rack=None, state='up'):
    """Add host *name* in the caller's transaction; return its id.

    :raises brick.exception.InvalidInput: bad name, state or placement.
    :raises brick.exception.NotFound: no such zone or rack.
    :raises brick.exception.Conflict: the host exists.
    """
    names.validate(name, 'host name')
    fields.choice(state, 'state of host %s' % name, models.HOST_STATES)
    zone_id, rack_id = _host_place(conn, name, zone, rack)
    topology.refuse_existing(conn, models.hosts, 'host', name)
    now = engine.utcnow()
    return conn.execute(models.hosts.insert().values(
        name=name, zone_id=zone_id, rack_id=rack_id, state=state,
        created_at=now, updated_at=now)).inserted_primary_key[0]


def create_host(db, name, zone=None, rack=None, state='up'):
    """Add host *name*, placed in *rack* (and so its zone) or *zone*
    (see :func:`insert_host`); return the :class:`Host`."""
    def work(conn):
        insert_host(conn, name, zone, rack, state)
        return read_hosts(conn, models.hosts.c.name == name)[0]
    return db.run('host %s' % name, work, conflict='host %r exists' % name)


def place_host(conn, name, zone=None, rack=None):
    """Move host *name* to *rack* / *zone*, in the caller's transaction;
    its pools' generations are bumped (their place changed)."""
    row = host_row(conn, name, 'to place')
    zone_id, rack_id = _host_place(conn, name, zone, rack)
    now = engine.utcnow()
    conn.execute(models.hosts.update().where(
        models.hosts.c.id == row.id).values(zone_id=zone_id, rack_id=rack_id,
                                            updated_at=now))
    pools = models.pools
    conn.execute(pools.update().where(pools.c.host_id == row.id).values(
        generation=pools.c.generation + 1, updated_at=now))


def set_host_state(db, name, state):
    """Set host *name* ``up``, ``down`` or ``disabled``.

    :raises brick.exception.NotFound: no such host.
    """
    fields.choice(state, 'state of host %s' % name, models.HOST_STATES)
    db.run('host %s' % name, lambda conn: change_host(
        conn, name, 'to change', state=state, updated_at=engine.utcnow()))


def change_host(conn, name, purpose, **values):
    """Set columns of host *name* in the caller's transaction.

    :raises brick.exception.NotFound: no such host, naming *purpose*.
    """
    hosts = models.hosts
    if conn.execute(hosts.update().where(hosts.c.name == name).values(
            **values)).rowcount == 0:
        raise exception.NotFound(what='host %r (%s)' % (name, purpose))


def heartbeat(db, name, now=None):
    """Record that host *name* is alive: ``up`` unless it is disabled.

    :raises brick.exception.NotFound: no such host.
    """
    now = now or engine.utcnow()
    hosts = models.hosts
    db.run('host %s' % name, lambda conn: change_host(
        conn, name, 'sending a heartbeat', heartbeat_at=now, updated_at=now,
        state=sa.case((hosts.c.state == 'disabled', 'disabled'),
                      else_='up')))
