# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Pools: what can be claimed, where; reading and changing them.

A pool belongs to one owner, named by its scope: a host (``scope
'host'``, local storage), a rack or a zone (storage every host of that
rack or zone reaches, e.g. a qcow2 directory on NFS).  Its name is unique
per owner.  Its capacity is ``int((total - reserved) *
allocation_ratio)`` (:func:`brick.inventory.fields.capacity`); its free
space is ``capacity - used - unmanaged`` where ``used`` counts brick's
allocations and live reservations and ``unmanaged`` what the node found
that brick did not create (:mod:`brick.inventory.reports`).

**Refreshing a cache.**  Every change of a pool (inventory, claims,
releases, reports) bumps ``generation`` and sets ``updated_at``.  A
scheduler holding pools in memory refreshes with :func:`changed_pools`::

    SELECT * FROM pools WHERE updated_at >= :watermark - :margin

keeping, per pool, the row with the higher generation, and moving the
watermark to the largest ``updated_at`` seen.  The margin (a few seconds,
:data:`brick.inventory.hosts.REFRESH_MARGIN`) covers clock skew between
writers and transactions that committed after a later-stamped one; the
generation comparison makes re-reading a row harmless.  A deleted pool
leaves a tombstone (:func:`bury`, the ``tombstones`` table, indexed by
``deleted_at``), read the same way (:func:`read_tombstones`), so no
refresh ever reads every row again.  A stale cache is never
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

**Changing pools.**  Who owns which field:

* the **node** (:func:`brick.inventory.reports.apply_report`, from its
  driver's
  :class:`~brick.drivers.volume.CapacityReport`): ``total``, ``step``,
  ``max_volume`` and ``unmanaged`` (bytes of volumes brick did not
  create, counted as used), so the inventory follows what is really on
  the node;
* the **operator** (API or YAML file): everything else, including
  ``reserved`` and ``allocation_ratio`` (policy, as in Placement; the
  driver's own ratio in the report is not applied).  ``total``, ``step``
  and ``max_volume`` given by the operator are starting values for a
  pool no node has reported yet;
* **claims** (:mod:`brick.inventory.reservations`): ``used``.

Every change bumps ``generation`` and sets ``updated_at``; a change that
changes nothing writes nothing.  The ``*_pool(conn, ...)`` helpers work
inside the caller's transaction (the YAML apply runs all of its changes
in one); the others run their own, retried on conflicts.
"""

import dataclasses
import datetime
import json
import typing
from collections.abc import Collection
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from brick import drivers
from brick import exception
from brick import names
from brick.db import engine
from brick.db import models
from brick.inventory import fields
from brick.inventory import hosts
from brick.inventory import topology


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
    tags: tuple[str, ...]
    state: str
    generation: int
    reported_at: datetime.datetime | None
    updated_at: datetime.datetime

    @property
    def free(self) -> int:
        """Bytes a claim may still take (never negative)."""
        return max(0, self.capacity - self.used - self.unmanaged)

    @property
    def key(self) -> str:
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


def _pool(topo: topology.Map, row: engine.Row) -> Pool:
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


def read_pools(conn: sa.Connection,
               where: sa.ColumnElement[bool] | None = None) -> list[Pool]:
    """Pools matching the SQL condition *where*, in the caller's
    transaction, ordered by id.  *where* may name columns of ``pools``
    and of ``hosts``, the owner of a host's pool."""
    topo = topology.Map(conn)
    query = _READ_POOLS if where is None else _READ_POOLS.where(where)
    return [_pool(topo, row) for row in conn.execute(query)]


def list_pools(db: engine.Database, host: str | None = None,
               state: str | None = None,
               tags: typing.Iterable[str] = ()) -> list[Pool]:
    """All pools, or those of host *host*, in *state*, carrying every tag
    of *tags*; ordered by id.

    :param tags: tags a pool must all have (as ``brick:tags`` asks).
    :raises brick.exception.InvalidValue: a bad tag.
    """
    wanted = set(fields.tags(list(tags), 'tags to list'))
    conditions: list[sa.ColumnElement[bool]] = []
    if host is not None:
        conditions.append(models.hosts.c.name == host)
    if state is not None:
        conditions.append(models.pools.c.state == state)
    where = sa.and_(*conditions) if conditions else None
    found = db.run('pools', lambda conn: read_pools(conn, where),
                   readonly=True)
    # Tags are a JSON column: matched here, not in SQL.
    return [pool for pool in found if wanted <= set(pool.tags)]


def get_pool(db: engine.Database, pool_id: int) -> Pool:
    """Return the :class:`Pool` with id *pool_id*.

    :raises brick.exception.PoolNotFound: no such pool.
    """
    found = db.run('pool %s' % pool_id, lambda conn: read_pools(
        conn, models.pools.c.id == pool_id), readonly=True)
    if not found:
        raise exception.PoolNotFound(name=pool_id, reason='no pool has '
                                     'this id')
    return found[0]


def owner_id(conn: sa.Connection, scope: str, owner: str, purpose: str
             ) -> int:
    """Id of the host, rack or zone named *owner* (per *scope*); raises
    NotFound naming *purpose* if there is none."""
    found: int
    if scope == 'host':
        found = hosts.host_row(conn, owner, purpose).id
    elif scope == 'rack':
        found = topology.rack_row(conn, owner, purpose).id
    else:
        found = topology.zone_id(conn, owner, purpose)
    return found


def owner_condition(conn: sa.Connection, scope: str, owner: str,
                    purpose: str) -> sa.ColumnElement[bool]:
    """SQL condition selecting the pools of *owner* (see
    :func:`owner_id`)."""
    return models.pools.c[scope + '_id'] == owner_id(conn, scope, owner,
                                                     purpose)


def find_pool(db: engine.Database, name: str, host: str | None = None,
              rack: str | None = None, zone: str | None = None) -> Pool:
    """Return pool *name* of exactly one of *host*, *rack* or *zone*.

    :raises brick.exception.InvalidInput: not exactly one owner.
    :raises brick.exception.NotFound: no such owner or pool.
    """
    scope, owner = fields.scope(host, rack, zone, 'pool %r' % name)

    def work(conn: sa.Connection) -> Pool:
        found = read_pools(conn, sa.and_(
            owner_condition(conn, scope, owner, 'owner of pool %r' % name),
            models.pools.c.name == name))
        if not found:
            raise exception.PoolNotFound(
                name=name, reason='%s %r has no such pool' % (scope, owner))
        return found[0]
    return db.run('pool %s' % name, work, readonly=True)


def read_changed(conn: sa.Connection,
                 since: datetime.datetime | None = None) -> list[Pool]:
    """Pools changed at or after *since* minus
    :data:`brick.inventory.hosts.REFRESH_MARGIN` (every pool if *since*
    is None), in the caller's transaction."""
    where = None
    if since is not None:
        where = models.pools.c.updated_at >= since - hosts.REFRESH_MARGIN
    return read_pools(conn, where)


_SCAN = sa.select(*(
    models.pools.c[name] for name in (
        'id', 'name', 'driver', 'scope', 'rack_id', 'zone_id', 'total',
        'reserved', 'allocation_ratio', 'capacity', 'used', 'unmanaged',
        'min_unit', 'max_unit', 'step', 'max_volume', 'cost', 'role',
        'tags', 'state', 'generation')),
    models.hosts.c.name.label('host_name'),
    models.hosts.c.zone_id.label('host_zone_id'),
    models.hosts.c.rack_id.label('host_rack_id')).select_from(
        models.pools.outerjoin(
            models.hosts, models.pools.c.host_id == models.hosts.c.id))


def scan(conn: sa.Connection, since: datetime.datetime | None = None
         ) -> tuple[Sequence[engine.Row], datetime.datetime | None]:
    """What a scheduler's cache reads: the raw rows of the pools changed
    at or after *since* minus :data:`brick.inventory.hosts.REFRESH_MARGIN`
    (every pool if None), without timestamps, and the new watermark.

    :func:`read_changed` builds a :class:`Pool` per row, parsing its
    timestamps and place: seconds at 200,000 pools.  This returns rows
    with ``tags`` still JSON and places as ids, and the largest
    ``updated_at`` from the database itself.

    :returns: ``(rows, watermark)``; *watermark* is *since* when nothing
        changed.
    """
    query, latest = _SCAN, sa.select(sa.func.max(models.pools.c.updated_at))
    if since is not None:
        where = models.pools.c.updated_at >= since - hosts.REFRESH_MARGIN
        query, latest = query.where(where), latest.where(where)
    watermark = conn.scalar(latest)
    rows = conn.execute(query).all()
    return rows, watermark if watermark is not None else since


def changed_pools(db: engine.Database,
                  since: datetime.datetime | None = None
                  ) -> tuple[list[Pool], datetime.datetime | None]:
    """Pools changed at or after *since* minus
    :data:`brick.inventory.hosts.REFRESH_MARGIN`.

    :param since: the largest ``updated_at`` of the previous refresh, or
        None for every pool.
    :returns: ``(pools, watermark)``: the pools ordered by id, and the
        value to pass as *since* next time (their largest ``updated_at``,
        or *since* if none changed).
    """
    found = db.run('pools', lambda conn: read_changed(conn, since),
                   readonly=True)
    watermark = max((pool.updated_at for pool in found), default=since)
    return found, watermark

# -- changing ---------------------------------------------------------------

POOLS = models.pools
_SETTABLE = tuple(fields.POOL_DEFAULTS) + ('driver',)


def check_driver(name: str, what: str,
                 known: Collection[str] | None = None) -> str:
    """Raise DriverNotFound unless *name* is an installed volume driver.

    Checked against the entry-point names, without importing the
    driver: the control side need not be able to load node drivers.

    :param known: the names of :func:`brick.drivers.names`, if already
        read.
    """
    known = drivers.names() if known is None else known
    if name not in known:
        raise exception.DriverNotFound(
            name=name, available=', '.join(known) or 'none')
    return name


def _stored(values: Mapping[str, Any]) -> dict[str, Any]:
    """Column values of checked pool fields: tags as JSON, capacity."""
    row = dict(values)
    row['tags'] = json.dumps(list(values['tags']))
    row['capacity'] = fields.capacity(values['total'], values['reserved'],
                                      values['allocation_ratio'])
    return row


def _current(row: engine.Row) -> dict[str, Any]:
    values = {field: getattr(row, field) for field in fields.POOL_DEFAULTS}
    values['tags'] = tuple(json.loads(row.tags))
    return values


def lock_row(conn: sa.Connection, pool_id: int) -> engine.Row:
    """The row of pool *pool_id*, locked; raise PoolNotFound if none."""
    row = conn.execute(sa.select(POOLS).where(
        POOLS.c.id == pool_id).with_for_update()).first()
    if row is None:
        raise exception.PoolNotFound(name=pool_id,
                                     reason='no pool has this id')
    return row


def insert_pool(conn: sa.Connection, name: str, driver: str, scope: str,
                owner: str, values: Mapping[str, Any],
                known: Collection[str] | None = None) -> int:
    """Add a pool in the caller's transaction; return its id.

    :param values: pool fields; missing ones take
        :data:`~brick.inventory.fields.POOL_DEFAULTS`.
    :raises brick.exception.Conflict: the owner has a pool of that name.
    """
    what = 'pool %s:%s/%s' % (scope, owner, name)
    names.validate(name, 'name of ' + what)
    check_driver(driver, what, known)
    checked = fields.pool(dict(fields.POOL_DEFAULTS, **values), what)
    owner_pk = owner_id(conn, scope, owner, 'owner of ' + what)
    if conn.scalar(sa.select(POOLS.c.id).where(
            POOLS.c[scope + '_id'] == owner_pk, POOLS.c.name == name)):
        raise exception.Conflict(reason='%s exists' % what)
    now = engine.utcnow()
    return engine.inserted_id(conn.execute(POOLS.insert().values(
        name=name, driver=driver, scope=scope,
        **{scope + '_id': owner_pk}, used=0, unmanaged=0, generation=0,
        created_at=now, updated_at=now, **_stored(checked))))


def change_pool(conn: sa.Connection, pool_id: int,
                changes: Mapping[str, Any],
                expected_generation: int | None = None) -> bool:
    """Update pool fields in the caller's transaction.

    :param changes: ``{field: value}`` of settable fields (and
        ``driver``).
    :param expected_generation: if not None, fail unless the pool is at
        this generation (compare-and-swap, as Placement's inventory
        updates).
    :returns: True if anything changed.
    :raises brick.exception.PoolNotFound: no such pool.
    :raises brick.exception.ConcurrentUpdate: generation mismatch.
    """
    unknown = sorted(set(changes) - set(_SETTABLE))
    if unknown:
        raise exception.InvalidValue(field='pool field', value=unknown[0],
                                     allowed=', '.join(_SETTABLE))
    row = lock_row(conn, pool_id)
    what = 'pool %s (id %d)' % (row.name, row.id)
    if expected_generation is not None and \
            row.generation != expected_generation:
        raise exception.ConcurrentUpdate(
            what=what, attempts=1,
            reason='generation is %d, expected %d' % (row.generation,
                                                      expected_generation))
    driver = changes.get('driver', row.driver)
    if driver != row.driver:
        check_driver(driver, what)
    current = _current(row)
    merged = fields.pool(dict(current, **{
        k: v for k, v in changes.items() if k != 'driver'}), what)
    if merged == current and driver == row.driver:
        return False
    conn.execute(POOLS.update().where(POOLS.c.id == pool_id).values(
        driver=driver, generation=POOLS.c.generation + 1,
        updated_at=engine.utcnow(), **_stored(merged)))
    return True


def holdings(conn: sa.Connection, pool_id: int) -> tuple[int, int]:
    """``(allocations, live reservations)`` counts of a pool."""
    allocations = conn.scalar(sa.select(sa.func.count()).where(
        models.allocations.c.pool_id == pool_id))
    reservations = conn.scalar(sa.select(sa.func.count()).where(
        models.reservations.c.pool_id == pool_id,
        models.reservations.c.state == 'reserved'))
    return allocations or 0, reservations or 0  # COUNT is never NULL


def remove_pool(conn: sa.Connection, pool_id: int, force: bool = False
                ) -> None:
    """Delete a pool in the caller's transaction.

    A pool that holds allocations or live reservations is deleted only
    with *force*, and those go with it.  Finished reservations always do.

    :raises brick.exception.Conflict: it holds some and not *force*.
    """
    allocations, live = holdings(conn, pool_id)
    if (allocations or live) and not force:
        raise exception.Conflict(
            reason='pool %d holds %d allocations and %d reservations; '
                   'release them or delete with force' % (
                       pool_id, allocations, live))
    found = read_pools(conn, POOLS.c.id == pool_id)
    conn.execute(models.reservations.delete().where(
        models.reservations.c.pool_id == pool_id))
    conn.execute(models.allocations.delete().where(
        models.allocations.c.pool_id == pool_id))
    conn.execute(POOLS.delete().where(POOLS.c.id == pool_id))
    if found:
        bury(conn, 'pool', pool_id, found[0].key)


TOMBSTONE_DAYS = 7
"""Days a tombstone is kept: longer than any scheduler goes without a
refresh (one that did re-reads everything)."""


def bury(conn: sa.Connection, kind: str, row_id: int, name: str) -> None:
    """Record the deletion of pool (or host) *row_id*, *name* its key,
    and forget tombstones older than :data:`TOMBSTONE_DAYS`."""
    now = engine.utcnow()
    table = models.tombstones
    conn.execute(table.delete().where(
        table.c.deleted_at < now - datetime.timedelta(days=TOMBSTONE_DAYS)))
    conn.execute(table.insert().values(kind=kind, row_id=row_id, name=name,
                                       deleted_at=now))


def read_tombstones(conn: sa.Connection, since: datetime.datetime
                    ) -> list[tuple[Any, ...]]:
    """``[(id, kind, row id, name, deleted_at)]`` of deletions at or
    after *since* minus :data:`brick.inventory.hosts.REFRESH_MARGIN`
    (a reader remembers the ids it has seen: SQLite reuses the id of a
    deleted pool, so the same tombstone must not remove a new pool)."""
    table = models.tombstones
    rows = conn.execute(sa.select(
        table.c.id, table.c.kind, table.c.row_id, table.c.name,
        table.c.deleted_at).where(
            table.c.deleted_at >= since - hosts.REFRESH_MARGIN).order_by(
                table.c.id))
    return [tuple(row) for row in rows]


def create_pool(db: engine.Database, name: str, driver: str,
                host: str | None = None, rack: str | None = None,
                zone: str | None = None, **values: Any) -> Pool:
    """Add pool *name* owned by exactly one of *host*, *rack*, *zone*.

    :param driver: a ``brick.volume_drivers`` entry-point name.
    :param values: pool fields (:data:`~brick.inventory.fields.
        POOL_DEFAULTS`); sizes in int bytes.
    :returns: the new :class:`~brick.inventory.pools.Pool`.
    :raises brick.exception.DriverNotFound: unknown driver.
    :raises brick.exception.InvalidInput: a bad field, or not one owner.
    :raises brick.exception.NotFound: no such host, rack or zone.
    :raises brick.exception.Conflict: the owner has a pool of that name.
    """
    scope, owner = fields.scope(host, rack, zone, 'pool %r' % name)

    def work(conn: sa.Connection) -> Pool:
        pool_id = insert_pool(conn, name, driver, scope, owner, values)
        return read_pools(conn, POOLS.c.id == pool_id)[0]
    return db.run('pool %s' % name, work, conflict='pool %s:%s/%s exists' % (
        scope, owner, name))


def update_pool(db: engine.Database, pool_id: int,
                expected_generation: int | None = None, **changes: Any
                ) -> Pool:
    """Change fields of a pool (see :func:`change_pool`).

    :returns: the pool as it is now.
    """
    def work(conn: sa.Connection) -> Pool:
        change_pool(conn, pool_id, changes, expected_generation)
        return read_pools(conn, POOLS.c.id == pool_id)[0]
    return db.run('pool %s' % pool_id, work)


def delete_pool(db: engine.Database, pool_id: int, force: bool = False
                ) -> None:
    """Delete a pool (see :func:`remove_pool`); a missing one is fine."""
    db.run('pool %s' % pool_id, lambda conn: remove_pool(conn, pool_id,
                                                         force))
