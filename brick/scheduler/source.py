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
row with the higher generation), and every ``full_every`` refreshes all
of them, which is how deleted pools and hosts are noticed.  Volume counts
per pool (allocations plus live reservations) come with the rows.

:class:`StoreLocator` answers pairing questions from the same database:
which pools hold a volume, or the allocations and reservations of a
consumer.

Everything here reads; writes (claims) go through
:mod:`brick.inventory.reservations`, after which the caller tells the
cache (:meth:`brick.scheduler.selector.Selector.claim`).
"""

import dataclasses
import functools

from brick import exception
from brick.inventory import allocations
from brick.inventory import hosts as hosts_mod
from brick.inventory import pools as pools_mod
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
    count: int = 0


def host_state(host: hosts_mod.Host) -> st.HostState:
    """A :class:`~brick.scheduler.state.HostState` from an inventory
    :class:`~brick.inventory.hosts.Host`."""
    place = host.place
    return st.HostState(host.name, place.zone, place.rack, place.region,
                        host.state, host.state_reason)


def pool_state(pool, volumes=0):
    """A :class:`~brick.scheduler.state.PoolState` from an inventory
    :class:`~brick.inventory.pools.Pool`."""
    fmt, thin = driver_traits(pool.driver)
    place = pool.place
    return st.PoolState(
        pool.name, pool.driver, scope=pool.scope,
        host=place.host if pool.scope == 'host' else None,
        rack=place.rack, zone=place.zone, region=place.region,
        total=pool.total, reserved=pool.reserved,
        allocation_ratio=pool.allocation_ratio, used=pool.used,
        unmanaged=pool.unmanaged, min_unit=pool.min_unit,
        max_unit=pool.max_unit, step=pool.step, max_volume=pool.max_volume,
        cost=pool.cost, role=pool.role, tags=frozenset(pool.tags),
        state=pool.state, thin=thin, format=fmt, volumes=volumes,
        generation=pool.generation, id=pool.id, capacity=pool.capacity,
        key=pool.key)


class StoreSource:
    """Reads what changed in the inventory for a cache.

    :param db: a :class:`brick.db.engine.Database`.
    :param full_every: read everything on every this many refreshes
        (the first is always full).
    """

    def __init__(self, db, full_every=60):
        self.db = db
        self.full_every = full_every

    def changes(self, marker):
        """Return :class:`~brick.scheduler.cache.Changes` since *marker*
        (None: everything)."""
        full = marker is None or (self.full_every and
                                  marker.count % self.full_every == 0)

        def work(conn):
            hosts = hosts_mod.read_changed(conn, None if full
                                           else marker.hosts)
            pools = pools_mod.read_changed(conn, None if full
                                           else marker.pools)
            counts = allocations.volume_counts(conn, None if full else [
                pool.id for pool in pools])
            return hosts, pools, counts
        hosts, pools, counts = self.db.run('scheduler cache', work,
                                           readonly=True)
        old = marker or Marker()
        new = Marker(
            max((p.updated_at for p in pools), default=old.pools),
            max((h.updated_at for h in hosts), default=old.hosts),
            old.count + 1)
        return cache_mod.Changes(
            hosts=[host_state(host) for host in hosts],
            pools=[pool_state(pool, counts.get(pool.id, 0))
                   for pool in pools],
            marker=new, complete=bool(full))


class StoreLocator(context.Locator):
    """Locates volumes and consumers through the inventory.

    :param db: a :class:`brick.db.engine.Database`.
    :param cache: the :class:`~brick.scheduler.cache.StateCache` whose
        pool keys answers use.
    :param instance_host: optional ``callable(instance) -> host or None``
        given by the compute service, which knows its instances; without
        it an instance is where its host-scoped pools are.
    """

    def __init__(self, db, cache, instance_host=None):
        self.db = db
        self.cache = cache
        self._instance_host = instance_host

    def instance_host(self, instance):
        if self._instance_host is None:
            return None
        return self._instance_host(instance)

    def locate(self, name):
        ids = allocations.pools_holding(self.db, name)
        keys = (self.cache.key_of(pool_id) for pool_id in ids)
        return tuple(key for key in keys if key is not None)
