# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The scheduler's link to the inventory database.

:class:`StoreSource` feeds a :class:`~brick.scheduler.cache.StateCache`:
each refresh reads the pools and hosts changed since the previous one
(``updated_at`` at or after the last watermark minus
:data:`brick.inventory.hosts.REFRESH_MARGIN`; the cache keeps the
row with the higher generation) and the tombstones of pools deleted
since (:func:`brick.inventory.pools.read_tombstones`), so only the first
refresh reads every row.  Volume counts per pool (allocations plus live
reservations) come with the rows.

:class:`StoreLocator` answers pairing questions from the same database:
which pools hold a volume, or the allocations and reservations of a
consumer.

Everything here reads; writes (claims) go through
:mod:`brick.inventory.reservations`, after which the caller tells the
cache (:meth:`brick.scheduler.selector.Selector.claim`).
"""

import dataclasses
import functools
import json
from collections.abc import Callable

from brick import exception
from brick.db import engine
from brick.inventory import allocations
from brick.inventory import hosts as hosts_mod
from brick.inventory import pools as pools_mod
from brick.inventory import topology
from brick.scheduler import cache as cache_mod
from brick.scheduler import context
from brick.scheduler import state as st


@functools.lru_cache(maxsize=64)
def driver_traits(name):
    """``(format, thin)`` of driver *name*, from its class: ``format``
    (block drivers, which have none, give ``raw``) and the THIN
    capability.  ``(None, False)`` for a driver not installed here (an
    external provider known only to its nodes)."""
    from brick import drivers
    from brick.drivers import volume

    try:
        cls = drivers.driver_class(name)
    except exception.DriverNotFound:
        return None, False
    return (getattr(cls, 'format', None) or 'raw',
            volume.Capability.THIN in cls.capabilities)


@dataclasses.dataclass(frozen=True)
class Marker:
    pools: object = None
    hosts: object = None
    tombstones: object = None
    seen: frozenset = frozenset()
    """Ids of the tombstones already applied that a re-read may still
    return: each is applied once."""
    count: int = 0


class _Places:
    """Zone, rack and region names by ids, each worked out once."""

    def __init__(self, topo):
        self.topo = topo
        self._found = {}
        self.tags = {}
        self.words = {}
        """Each distinct string read, once: the database driver makes a
        new object per row and column, and a cache keeps them (tens of
        MiB at 200,000 pools of a few names)."""

    def word(self, text):
        return self.words.setdefault(text, text)

    def of(self, zone_id: int | None, rack_id: int | None
           ) -> tuple[str | None, str | None, str | None]:
        """``(zone, rack, region)`` names."""
        key = (zone_id, rack_id)
        found = self._found.get(key)
        if found is None:
            place = self.topo.place(zone_id, rack_id)
            found = self._found[key] = (place.zone, place.rack,
                                        place.region)
        return found

    def tagset(self, text):
        found = self.tags.get(text)
        if found is None:
            found = self.tags[text] = frozenset(json.loads(text))
        return found


def _pool_states(rows, places, counts):
    """:class:`~brick.scheduler.state.PoolState` objects from rows of
    :func:`brick.inventory.pools.scan` (unpacked by position: attribute
    access on 200,000 rows costs seconds)."""
    found = []
    of, tagset, traits, key = (places.of, places.tagset, driver_traits,
                               st.pool_key)
    word = places.words.setdefault
    for (pool_id, name, driver, scope, rack_id, zone_id, total, reserved,
         ratio, capacity, used, unmanaged, min_unit, max_unit, step,
         max_volume, cost, role, tags, state, generation, host_name,
         host_zone_id, host_rack_id) in rows:
        fmt, thin = traits(driver)
        name, driver, scope, state = (word(name, name), word(driver, driver),
                                      word(scope, scope), word(state, state))
        if host_name is not None:
            host_name = word(host_name, host_name)
        if scope == 'host':
            zone, rack, region = of(host_zone_id, host_rack_id)
            owner = host_name
        elif scope == 'rack':
            zone, rack, region = of(None, rack_id)
            owner = rack
        else:
            zone, rack, region = of(zone_id, None)
            owner = zone
        found.append(st.PoolState(
            name, driver, scope, host_name if scope == 'host' else None,
            rack, zone, region, total, reserved, ratio, used, unmanaged,
            min_unit, max_unit, step, max_volume, cost, role,
            tagset(tags), state, thin, fmt, counts.get(pool_id, 0),
            generation, pool_id, capacity, key(name, scope, owner)))
    return found


class StoreSource:
    """Reads what changed in the inventory for a cache.

    :param db: a :class:`brick.db.engine.Database`.
    """

    def __init__(self, db: engine.Database) -> None:
        self.db = db

    def changes(self, marker: Marker | None) -> cache_mod.Changes:
        """Return :class:`~brick.scheduler.cache.Changes` since *marker*
        (None: everything)."""
        full = marker is None

        def work(conn):
            # The tombstone watermark is read first: a deletion that
            # commits while the rows are read is seen next time.
            now = engine.utcnow()
            buried = [] if full or marker.tombstones is None else \
                pools_mod.read_tombstones(conn, marker.tombstones)
            hosts = hosts_mod.scan(conn, None if full else marker.hosts)
            pools = pools_mod.scan(conn, None if full else marker.pools)
            counts = allocations.volume_counts(conn, None if full else [
                row[0] for row in pools[0]])
            return now, buried, hosts, pools, counts, topology.Map(conn)
        now, buried, (hosts, host_mark), (pools, pool_mark), counts, topo = \
            self.db.run('scheduler cache', work, readonly=True)
        old = marker or Marker()
        fresh = [row for row in buried if row[0] not in old.seen]
        new = Marker(
            pool_mark, host_mark,
            max((row[4] for row in buried), default=old.tombstones or now),
            frozenset(row[0] for row in buried), old.count + 1)
        places = _Places(topo)
        return cache_mod.Changes(
            hosts=[st.HostState(places.word(name),
                                *places.of(zone_id, rack_id),
                                hosts_mod.stored_state(state), reason)
                   for name, zone_id, rack_id, state, reason in hosts],
            pools=_pool_states(pools, places, counts),
            removed_pool_ids=tuple(row[2] for row in fresh
                                   if row[1] == 'pool'),
            removed_hosts=tuple(row[3] for row in fresh
                                if row[1] == 'host'),
            marker=new, complete=full)


class StoreLocator(context.Locator):
    """Locates volumes and consumers through the inventory.

    :param db: a :class:`brick.db.engine.Database`.
    :param cache: the :class:`~brick.scheduler.cache.StateCache` whose
        pool keys answers use.
    :param instance_host: optional ``callable(instance) -> host or None``
        given by the compute service, which knows its instances; without
        it an instance is where its host-scoped pools are.
    """

    def __init__(self, db: engine.Database, cache: cache_mod.StateCache,
                 instance_host: Callable[[str], str | None] | None = None
                 ) -> None:
        self.db = db
        self.cache = cache
        self._instance_host = instance_host

    def instance_host(self, instance: str) -> str | None:
        if self._instance_host is None:
            return None
        return self._instance_host(instance)

    def locate(self, name: str) -> tuple[str, ...]:
        ids = allocations.pools_holding(self.db, name)
        keys = (self.cache.key_of(pool_id) for pool_id in ids)
        return tuple(key for key in keys if key is not None)
