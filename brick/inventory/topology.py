# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Where things are: region > zone > rack > host, and how far apart.

A :class:`Place` names a position at any depth: a host's place names its
host, rack, zone and region; a pool shared by a rack has a place without
a host.  :func:`distance` is the lowest level two places share::

    0  SAME_HOST   the same host
    1  SAME_RACK   the same rack
    2  SAME_ZONE   the same zone
    3  FAR         anything else (regions are for grouping zones only)

Zones and racks are rows (tables ``zones`` and ``racks``); names are
unique across the whole inventory, so a rack is named without its zone.
"""

import dataclasses
from collections.abc import Iterable
from typing import Literal

import sqlalchemy as sa

from brick import exception
from brick import names
from brick.db import engine
from brick.db import models

SAME_HOST = 0
SAME_RACK = 1
SAME_ZONE = 2
FAR = 3


@dataclasses.dataclass(frozen=True)
class Place:
    """A position in the topology; unknown levels are None."""

    region: str | None = None
    zone: str | None = None
    rack: str | None = None
    host: str | None = None


def distance(a: Place, b: Place) -> int:
    """Return how far apart places *a* and *b* are (0 to 3).

    Two levels match only when both are known and equal, so a host with
    no rack is never "in the same rack" as another.

    :param a: a :class:`Place`.
    :param b: a :class:`Place`.
    :returns: :data:`SAME_HOST`, :data:`SAME_RACK`, :data:`SAME_ZONE` or
        :data:`FAR`.
    """
    if a.host is not None and a.host == b.host:
        return SAME_HOST
    if a.rack is not None and a.rack == b.rack:
        return SAME_RACK
    if a.zone is not None and a.zone == b.zone:
        return SAME_ZONE
    return FAR


@dataclasses.dataclass(frozen=True)
class Zone:
    id: int
    name: str
    region: str | None


@dataclasses.dataclass(frozen=True)
class Rack:
    id: int
    name: str
    zone: str


class Map:
    """Zones and racks by id, read once: turns ids into :class:`Place`."""

    def __init__(self, conn: sa.Connection) -> None:
        self.zones: dict[int, Zone] = {
            row.id: Zone(row.id, row.name, row.region)
            for row in conn.execute(sa.select(models.zones))}
        self.racks: dict[int, Rack] = {}
        self._rack_zone: dict[int, int] = {}
        for row in conn.execute(sa.select(models.racks)):
            self.racks[row.id] = Rack(row.id, row.name,
                                      self.zones[row.zone_id].name)
            self._rack_zone[row.id] = row.zone_id

    def place(self, zone_id: int | None = None, rack_id: int | None = None,
              host: str | None = None) -> Place:
        """The :class:`Place` of a host or pool given its ids."""
        if rack_id is not None and zone_id is None:
            zone_id = self._rack_zone[rack_id]
        zone = self.zones.get(zone_id) if zone_id is not None else None
        rack = self.racks.get(rack_id) if rack_id is not None else None
        return Place(region=zone.region if zone else None,
                     zone=zone.name if zone else None,
                     rack=rack.name if rack else None, host=host)


def _region(value: str | None) -> str | None:
    return None if value is None else names.validate(value, 'region name')


def named(conn: sa.Connection, table: sa.Table, name: str
          ) -> engine.Row | None:
    """The row named *name* of *table* (zones, racks or hosts), or None."""
    return conn.execute(sa.select(table).where(
        table.c.name == name)).first()


def named_row(conn: sa.Connection, table: sa.Table, kind: str, name: str,
              purpose: str) -> engine.Row:
    """Return the row of *kind* *name* in *table*; raise NotFound naming
    *purpose*."""
    row = named(conn, table, name)
    if row is None:
        raise exception.NotFound(what='%s %r (%s)' % (kind, name, purpose))
    return row


def refuse_existing(conn: sa.Connection, table: sa.Table, kind: str,
                    name: str) -> None:
    """Raise Conflict if *table* has a *kind* named *name*."""
    if conn.scalar(sa.select(table.c.id).where(
            table.c.name == name)) is not None:
        raise exception.Conflict(reason='%s %r exists' % (kind, name))


def zone_id(conn: sa.Connection, name: str, purpose: str) -> int:
    """Return the id of zone *name*; raise NotFound naming *purpose*."""
    found: int = named_row(conn, models.zones, 'zone', name, purpose).id
    return found


def rack_row(conn: sa.Connection, name: str, purpose: str) -> engine.Row:
    """Return the row of rack *name*; raise NotFound naming *purpose*."""
    return named_row(conn, models.racks, 'rack', name, purpose)


def insert_zone(conn: sa.Connection, name: str, region: str | None = None
                ) -> int:
    """Add zone *name* in the caller's transaction; return its id.

    :raises brick.exception.InvalidName: bad name or region.
    :raises brick.exception.Conflict: the zone exists.
    """
    names.validate(name, 'zone name')
    _region(region)
    refuse_existing(conn, models.zones, 'zone', name)
    now = engine.utcnow()
    return engine.inserted_id(conn.execute(models.zones.insert().values(
        name=name, region=region, created_at=now, updated_at=now)))


def insert_rack(conn: sa.Connection, name: str, zone: str) -> int:
    """Add rack *name* to *zone* in the caller's transaction; return its
    id.

    :raises brick.exception.NotFound: no such zone.
    :raises brick.exception.Conflict: the rack exists.
    """
    names.validate(name, 'rack name')
    names.validate(zone, 'zone name (of rack %s)' % name)
    zid = zone_id(conn, zone, 'the zone of rack %r' % name)
    refuse_existing(conn, models.racks, 'rack', name)
    now = engine.utcnow()
    return engine.inserted_id(conn.execute(models.racks.insert().values(
        name=name, zone_id=zid, created_at=now, updated_at=now)))


def create_zone(db: engine.Database, name: str, region: str | None = None
                ) -> Zone:
    """Add zone *name* (see :func:`insert_zone`); return the
    :class:`Zone`."""
    new_id = db.run('zone %s' % name,
                    lambda conn: insert_zone(conn, name, region),
                    conflict='zone %r exists' % name)
    return Zone(new_id, name, region)


def create_rack(db: engine.Database, name: str, zone: str) -> Rack:
    """Add rack *name* to *zone* (see :func:`insert_rack`); return the
    :class:`Rack`."""
    new_id = db.run('rack %s' % name,
                    lambda conn: insert_rack(conn, name, zone),
                    conflict='rack %r exists' % name)
    return Rack(new_id, name, zone)


def update_zone(conn: sa.Connection, name: str, region: str | None) -> None:
    """Set the region of zone *name* inside the caller's transaction."""
    conn.execute(models.zones.update().where(
        models.zones.c.name == name).values(
            region=_region(region), updated_at=engine.utcnow()))


def move_rack(conn: sa.Connection, name: str, zone: str) -> None:
    """Move rack *name* (and its hosts) to *zone*, in the caller's
    transaction.  Pools of those hosts have their generation bumped:
    their place changed."""
    zid = zone_id(conn, zone, 'the new zone of rack %r' % name)
    rack = rack_row(conn, name, 'to move')
    now = engine.utcnow()
    conn.execute(models.racks.update().where(
        models.racks.c.id == rack.id).values(zone_id=zid, updated_at=now))
    conn.execute(models.hosts.update().where(
        models.hosts.c.rack_id == rack.id).values(zone_id=zid,
                                                  updated_at=now))
    host_ids = sa.select(models.hosts.c.id).where(
        models.hosts.c.rack_id == rack.id).scalar_subquery()
    pools = models.pools
    conn.execute(pools.update().where(sa.or_(
        pools.c.rack_id == rack.id, pools.c.host_id.in_(host_ids))).values(
            generation=pools.c.generation + 1, updated_at=now))


def delete_unused(conn: sa.Connection, zone_names: Iterable[str] = (),
                  rack_names: Iterable[str] = ()
                  ) -> list[tuple[Literal['rack', 'zone'], str]]:
    """Delete the named racks and zones that nothing refers to, in the
    caller's transaction.

    :returns: the (kind, name) pairs deleted.
    """
    deleted: list[tuple[Literal['rack', 'zone'], str]] = []
    for name in rack_names:
        rack = named(conn, models.racks, name)
        if rack is None or any(conn.scalar(sa.select(sa.func.count()).where(
                column == rack.id)) for column in (
                models.hosts.c.rack_id, models.pools.c.rack_id)):
            continue
        conn.execute(models.racks.delete().where(
            models.racks.c.id == rack.id))
        deleted.append(('rack', name))
    for name in zone_names:
        zone = named(conn, models.zones, name)
        if zone is None or any(conn.scalar(sa.select(sa.func.count()).where(
                column == zone.id)) for column in (
                models.racks.c.zone_id, models.hosts.c.zone_id,
                models.pools.c.zone_id)):
            continue
        conn.execute(models.zones.delete().where(
            models.zones.c.id == zone.id))
        deleted.append(('zone', name))
    return deleted


def zones_and_racks(db: engine.Database
                    ) -> tuple[list[Zone], list[Rack]]:
    """Return ``(zones, racks)``: lists of :class:`Zone` and :class:`Rack`
    sorted by name."""
    def work(conn: sa.Connection) -> tuple[list[Zone], list[Rack]]:
        topo = Map(conn)
        return (sorted(topo.zones.values(), key=lambda z: z.name),
                sorted(topo.racks.values(), key=lambda r: r.name))
    return db.run('topology', work, readonly=True)
