# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Hosts: where they are and whether they take new volumes.

A host has a name, a place in the topology (a rack, and so its zone, or a
zone alone; :mod:`brick.inventory.topology`) and a state, with the
reason for it and the time of its last heartbeat.  Its host-scoped pools
are in :mod:`brick.inventory.pools`.

The states (:data:`STATES`) are the words pools, the inventory file and
the ``enable``/``disable`` commands use:

``enabled``
    the scheduler may place on it;
``disabled``
    an operator keeps the scheduler away from it; heartbeats do not
    change that;
``down``
    enabled, but not heard from: the node monitor sets it when the
    host's brick-node left its tooz group or stopped heartbeating
    (:func:`set_liveness`, :mod:`brick.node.liveness`), or an embedder's
    own liveness check does; its next heartbeat makes it ``enabled``
    again.  Liveness never changes a state an operator set.

``up``, the word brick used for ``enabled`` before, is still accepted
on input (:data:`ALIASES`).  The database column keeps storing ``up``
for ``enabled``, the word of its 0001 schema, so that no table has to be
rebuilt (SQLite rebuilds a table to change a CHECK constraint); this
module translates in both directions and nothing else reads the column.
"""

import dataclasses
import datetime
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from brick import exception
from brick import names
from brick.db import engine
from brick.db import models
from brick.inventory import fields
from brick.inventory import topology

STATES = ('enabled', 'down', 'disabled')
"""A host's states, as every interface shows them."""

ALIASES = {'up': 'enabled'}
"""Old words still accepted on input, and the state they mean."""

_STORED = {'enabled': 'up'}
"""State -> the value of the ``hosts.state`` column, where it differs."""
_READ = {value: state for state, value in _STORED.items()}


def stored_state(value: str) -> str:
    """The state a ``hosts.state`` column *value* means (the column
    stores ``up`` for ``enabled``, its 0001 schema's word)."""
    return _READ.get(value, value)


REFRESH_MARGIN = datetime.timedelta(seconds=5)
"""How far before the last watermark a refresh re-reads (see
:mod:`brick.inventory.pools`)."""


@dataclasses.dataclass(frozen=True)
class Host:
    id: int
    name: str
    place: topology.Place
    state: str
    heartbeat_at: datetime.datetime | None
    updated_at: datetime.datetime
    state_reason: str | None = None
    """Why the host is in its state, when known."""


def check_state(state: object, field: str) -> str:
    """*state* as one of :data:`STATES` (an alias translated).

    :raises brick.exception.InvalidValue: neither a state nor an alias.
    """
    state = ALIASES.get(state, state) if isinstance(state, str) else state
    return fields.choice(state, field, STATES)


def host_row(conn: sa.Connection, name: str, purpose: str) -> engine.Row:
    """Return the row of host *name*; raise NotFound naming *purpose*."""
    return topology.named_row(conn, models.hosts, 'host', name, purpose)


def _host_place(conn: sa.Connection, name: str, zone: str | None,
                rack: str | None) -> tuple[int | None, int | None]:
    """(zone_id, rack_id) for a host placed in *zone* and/or *rack*."""
    if rack is not None:
        row = topology.rack_row(conn, rack, 'the rack of host %r' % name)
        if zone is not None and topology.zone_id(
                conn, zone, 'the zone of host %r' % name) != row.zone_id:
            raise exception.InvalidValue(
                field='zone of host %s' % name, value=zone,
                allowed='the zone of rack %s, or none' % rack)
        ids: tuple[int, int] = (row.zone_id, row.id)
        return ids
    if zone is not None:
        return topology.zone_id(conn, zone, 'the zone of host %r' % name), \
            None
    return None, None


def read_hosts(conn: sa.Connection,
               where: sa.ColumnElement[bool] | None = None) -> list[Host]:
    """Hosts matching *where*, in the caller's transaction, by name."""
    topo = topology.Map(conn)
    query = sa.select(models.hosts).order_by(models.hosts.c.name)
    if where is not None:
        query = query.where(where)
    return [Host(row.id, row.name,
                 topo.place(row.zone_id, row.rack_id, row.name),
                 stored_state(row.state), row.heartbeat_at,
                 row.updated_at, row.state_reason)
            for row in conn.execute(query)]


def scan(conn: sa.Connection, since: datetime.datetime | None = None
         ) -> tuple[Sequence[engine.Row], datetime.datetime | None]:
    """Raw ``(name, zone_id, rack_id, state, state_reason)`` rows of the
    hosts changed since *since* (as :func:`read_changed`) and the new
    watermark (see :func:`brick.inventory.pools.scan`)."""
    table = models.hosts
    query = sa.select(table.c.name, table.c.zone_id, table.c.rack_id,
                      table.c.state, table.c.state_reason)
    latest = sa.select(sa.func.max(table.c.updated_at))
    if since is not None:
        where = table.c.updated_at >= since - REFRESH_MARGIN
        query, latest = query.where(where), latest.where(where)
    watermark = conn.scalar(latest)
    return conn.execute(query).all(), (
        watermark if watermark is not None else since)


def read_changed(conn: sa.Connection,
                 since: datetime.datetime | None = None) -> list[Host]:
    """Hosts changed at or after *since* minus
    :data:`REFRESH_MARGIN` (every host if *since*
    is None), in the caller's transaction."""
    where = None
    if since is not None:
        where = models.hosts.c.updated_at >= since - REFRESH_MARGIN
    return read_hosts(conn, where)


def list_hosts(db: engine.Database) -> list[Host]:
    """Every :class:`Host`, by name."""
    return db.run('hosts', read_hosts, readonly=True)


def get_host(db: engine.Database, name: str) -> Host:
    """Return :class:`Host` *name*; raise NotFound if there is none."""
    def work(conn: sa.Connection) -> Host:
        found = read_hosts(conn, models.hosts.c.name == name)
        if not found:
            raise exception.NotFound(what='host %r' % name)
        return found[0]
    return db.run('host %s' % name, work, readonly=True)


def insert_host(conn: sa.Connection, name: str, zone: str | None = None,
                rack: str | None = None, state: str = 'enabled') -> int:
    """Add host *name* in the caller's transaction; return its id.

    :param state: one of :data:`STATES` (or an alias).
    :raises brick.exception.InvalidInput: bad name, state or placement.
    :raises brick.exception.NotFound: no such zone or rack.
    :raises brick.exception.Conflict: the host exists.
    """
    names.validate(name, 'host name')
    state = check_state(state, 'state of host %s' % name)
    zone_id, rack_id = _host_place(conn, name, zone, rack)
    topology.refuse_existing(conn, models.hosts, 'host', name)
    now = engine.utcnow()
    return engine.inserted_id(conn.execute(models.hosts.insert().values(
        name=name, zone_id=zone_id, rack_id=rack_id,
        state=_STORED.get(state, state), created_at=now,
        updated_at=now)))


def create_host(db: engine.Database, name: str, zone: str | None = None,
                rack: str | None = None, state: str = 'enabled') -> Host:
    """Add host *name*, placed in *rack* (and so its zone) or *zone*
    (see :func:`insert_host`); return the :class:`Host`."""
    def work(conn: sa.Connection) -> Host:
        insert_host(conn, name, zone, rack, state)
        return read_hosts(conn, models.hosts.c.name == name)[0]
    return db.run('host %s' % name, work, conflict='host %r exists' % name)


def place_host(conn: sa.Connection, name: str, zone: str | None = None,
               rack: str | None = None) -> None:
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


def set_host_state(db: engine.Database, name: str, state: str,
                   reason: str | None = None) -> None:
    """Set host *name* ``enabled``, ``down`` or ``disabled``
    (:data:`STATES`; ``up`` still means ``enabled``), with an optional
    *reason* (at most 255 characters).

    :raises brick.exception.InvalidValue: not a state.
    :raises brick.exception.NotFound: no such host.
    """
    state = check_state(state, 'state of host %s' % name)
    db.run('host %s' % name, lambda conn: change_host(
        conn, name, 'to change', state=state, state_reason=reason,
        updated_at=engine.utcnow()))


LIVENESS = 'liveness: '
"""The prefix of every reason :func:`set_liveness` writes."""


def set_liveness(db: engine.Database, name: str, alive: bool,
                 reason: str | None = None,
                 now: datetime.datetime | None = None) -> bool:
    """Mark host *name* down because its node is not alive, or up again
    once it is, in one conditional UPDATE.

    Going down only changes an ``enabled`` host; coming back up only changes
    a host that liveness itself put down (its reason starts with
    :data:`LIVENESS`), so a host an operator disabled or put down stays
    as it is.  A live host's first sighting sets ``heartbeat_at``.

    :param alive: True if the node is in its tooz group.
    :param reason: why it is down (stored after :data:`LIVENESS`).
    :returns: True if the row changed.
    """
    now = now or engine.utcnow()
    hosts = models.hosts
    if alive:
        where = sa.or_(
            sa.and_(hosts.c.state == 'down',
                    hosts.c.state_reason.like(LIVENESS + '%')),
            hosts.c.heartbeat_at.is_(None))
        values: dict[str, object] = {'state': sa.case(
            (hosts.c.state_reason.like(LIVENESS + '%'), _STORED['enabled']),
            else_=hosts.c.state),
            'state_reason': sa.case(
                (hosts.c.state_reason.like(LIVENESS + '%'), None),
                else_=hosts.c.state_reason),
            'heartbeat_at': now, 'updated_at': now}
    else:
        where = hosts.c.state == _STORED['enabled']
        values = {'state': 'down', 'updated_at': now,
                  'state_reason': (LIVENESS + (reason or 'node not alive')
                                   )[:255]}
    query = hosts.update().where(hosts.c.name == name, where).values(
        **values)
    return db.run('liveness of host %s' % name,
                  lambda conn: conn.execute(query).rowcount > 0)


@dataclasses.dataclass(frozen=True)
class Liveness:
    """What liveness needs to know of a host (:func:`liveness_of`)."""

    name: str
    up: bool
    """The scheduler may place on it."""
    down_by_liveness: bool
    """Down, and :func:`set_liveness` put it there."""
    seen: bool
    """Its node was seen alive once (``heartbeat_at`` is set)."""
    has_pools: bool
    """It has pools of its own, so it must have a node."""


def liveness_of(db: engine.Database) -> list[Liveness]:
    """Every host as :class:`Liveness`, in one query."""
    hosts = models.hosts
    pools = models.pools
    has_pools = sa.exists().where(pools.c.host_id == hosts.c.id,
                                  pools.c.scope == 'host')
    query = sa.select(hosts.c.name, hosts.c.state, hosts.c.state_reason,
                      hosts.c.heartbeat_at, has_pools.label('has_pools'))
    rows = db.run('liveness', lambda conn: conn.execute(query).all(),
                  readonly=True)
    return [Liveness(row.name, row.state == _STORED['enabled'],
                     row.state == 'down' and (
        row.state_reason or '').startswith(LIVENESS),
        row.heartbeat_at is not None, bool(row.has_pools)) for row in rows]


def change_host(conn: sa.Connection, name: str, purpose: str,
                **values: Any) -> None:
    """Set columns of host *name* in the caller's transaction; a
    ``state`` is one of :data:`STATES`.

    :raises brick.exception.NotFound: no such host, naming *purpose*.
    """
    if isinstance(values.get('state'), str):
        values['state'] = _STORED.get(values['state'], values['state'])
    hosts = models.hosts
    if conn.execute(hosts.update().where(hosts.c.name == name).values(
            **values)).rowcount == 0:
        raise exception.NotFound(what='host %r (%s)' % (name, purpose))


def heartbeat(db: engine.Database, name: str,
              now: datetime.datetime | None = None) -> None:
    """Record that host *name* is alive: ``enabled`` unless it is
    disabled.

    :raises brick.exception.NotFound: no such host.
    """
    now = now or engine.utcnow()
    hosts = models.hosts
    db.run('host %s' % name, lambda conn: change_host(
        conn, name, 'sending a heartbeat', heartbeat_at=now, updated_at=now,
        state=sa.case((hosts.c.state == 'disabled', 'disabled'),
                      else_=_STORED['enabled']),
        state_reason=sa.case((hosts.c.state == 'disabled',
                              hosts.c.state_reason), else_=None)))
