# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The scheduler's in-memory view of hosts and pools, with its indexes.

:class:`StateCache` is filled and kept fresh from a *source*: anything
with ``changes(marker) -> Changes`` (:mod:`brick.scheduler.source` reads
the inventory database; tests and benchmarks build :class:`Changes`
directly).  A refresh asks only for rows changed since the marker of the
previous one, and applies them in place: an object a filter holds stays
valid, and only pools whose driver, tags, cost or place changed move
between indexes.

Indexes (each an ordered :class:`~brick.scheduler.index.Index`):

* by driver and by tag, over all pools;
* by rack (pools of the rack's hosts and pools shared by the rack) and by
  zone (every pool in the zone), plus everything;
* a host's own pools are its :attr:`HostState.pools`.

A search takes the smallest index that every match must be in, so a
host-local request reads that host's pools and a rack-local one its rack.

Claims made by this process (:meth:`StateCache.claim`) lower a pool's free
space at once and are remembered with the generation at which the store
will show them; a refreshed row older than that keeps them, a newer one
already counts them.  The cache itself takes no lock: the selector that
owns it does (:attr:`brick.scheduler.selector.Selector.lock`), one
decision, claim or refresh at a time.
"""

import dataclasses
import time

from oslo_log import log as logging

from brick import exception
from brick.scheduler import index as index_mod
from brick.scheduler import state as st

LOG = logging.getLogger(__name__)

_HOST_FIELDS = ('zone', 'rack', 'region', 'state', 'reason')
_POOL_FIELDS = tuple(f.name for f in dataclasses.fields(st.PoolState)
                     if f.name not in ('pending', 'key'))


@dataclasses.dataclass
class Changes:
    """Rows changed since a marker, as the source read them."""

    hosts: list = dataclasses.field(default_factory=list)
    """New or changed :class:`HostState` objects (copied in)."""
    pools: list = dataclasses.field(default_factory=list)
    """New or changed :class:`PoolState` objects: a new pool's object is
    kept, a known pool's is copied into the one the cache holds; ``used``
    is the store's, without this process's pending claims."""
    removed_hosts: tuple = ()
    removed_pools: tuple = ()
    """Pool keys."""
    marker: object = None
    """What to pass to the next ``changes()``."""
    complete: bool = False
    """True: these are all the rows; any other is gone."""


@dataclasses.dataclass
class RefreshStats:
    hosts: int = 0
    pools: int = 0
    moved: int = 0
    """Pools whose index entries changed."""
    removed: int = 0
    seconds: float = 0.0


class StateCache:
    """Hosts and pools by name and key, indexed for the selector."""

    def __init__(self):
        self.hosts = {}
        self.pools = {}
        self._ids = {}
        self.everything = index_mod.Index()
        self.by_driver = {}
        self.by_tag = {}
        self.by_rack = {}
        self.by_zone = {}
        self.hosts_by_rack = {}
        self.hosts_by_zone = {}
        self._dirty = set()
        self.marker = None
        self.refreshed_at = None

    # -- reading ---------------------------------------------------------

    def pool(self, key):
        """Return the pool with *key*.

        :raises brick.exception.PoolNotFound: no such pool.
        """
        try:
            return self.pools[key]
        except KeyError:
            raise exception.PoolNotFound(
                name=key, reason='not in the scheduler cache') from None

    def key_of(self, pool_id):
        """The key of the pool with inventory id *pool_id*, or None."""
        return self._ids.get(pool_id)

    def region(self, host, tier):
        """The smallest index holding every pool within *tier* of *host*:
        a list (the host's own pools) or an :class:`Index`."""
        if tier >= st.topology.FAR:
            return self.everything
        if tier >= st.topology.SAME_ZONE and host.zone is not None:
            return self.by_zone.get(host.zone) or ()
        if tier >= st.topology.SAME_RACK and host.rack is not None:
            return self.by_rack.get(host.rack) or ()
        return host.pools

    def hosts_sharing(self, pool):
        """The hosts that can use shared *pool* (its rack's or zone's),
        in insertion order; a host pool's own host."""
        if pool.scope == 'rack':
            return self.hosts_by_rack.get(pool.rack, {}).values()
        if pool.scope == 'zone':
            return self.hosts_by_zone.get(pool.zone, {}).values()
        host = self.hosts.get(pool.host)
        return (host,) if host is not None else ()

    # -- claims ----------------------------------------------------------

    def claim(self, key, size, volumes=1, generation=None):
        """Count a claim this process made, before the store shows it.

        :param key: the pool's key.
        :param size: bytes claimed.
        :param volumes: volumes the claim is for.
        :param generation: the pool's generation after the claim, as the
            store returned it; None: the next one.
        """
        pool = self.pool(key)
        if generation is None:
            generation = pool.generation + 1
        pool.pending.append([generation, size, volumes])
        pool.used += size
        pool.volumes += volumes

    def release(self, key, size, volumes=1):
        """Undo a claim (a reservation released or a failed create)."""
        pool = self.pool(key)
        for entry in pool.pending:
            if entry[1] == size and entry[2] == volumes:
                pool.pending.remove(entry)
                break
        pool.used = max(0, pool.used - size)
        pool.volumes = max(0, pool.volumes - volumes)
        self._raise_bounds(pool)

    # -- refresh ---------------------------------------------------------

    def refresh(self, source):
        """Apply the source's changes since the last refresh.

        :param source: an object with ``changes(marker) -> Changes``.
        :returns: :class:`RefreshStats`.
        """
        start = time.perf_counter()
        changes = source.changes(self.marker)
        stats = self.apply(changes)
        self.marker = changes.marker
        self.refreshed_at = time.monotonic()
        stats.seconds = time.perf_counter() - start
        LOG.debug('Scheduler cache refresh: %d hosts, %d pools changed, '
                  '%d moved, %d removed in %.3f s', stats.hosts, stats.pools,
                  stats.moved, stats.removed, stats.seconds)
        return stats

    def refresh_if_due(self, source, interval):
        """Refresh if the last one is *interval* seconds old (or never
        happened); return its stats or None."""
        if self.refreshed_at is not None and interval > 0 and (
                time.monotonic() - self.refreshed_at < interval):
            return None
        return self.refresh(source)

    def apply(self, changes):
        """Apply :class:`Changes` in place.

        :returns: :class:`RefreshStats` (seconds left at 0).
        """
        stats = RefreshStats(hosts=len(changes.hosts),
                             pools=len(changes.pools))
        for host in changes.hosts:
            self._put_host(host)
        for pool in changes.pools:
            stats.moved += self._put_pool(pool)
        removed_pools = set(changes.removed_pools)
        removed_hosts = set(changes.removed_hosts)
        if changes.complete:
            removed_pools |= set(self.pools) - {p.key for p in changes.pools}
            removed_hosts |= set(self.hosts) - {h.name for h in changes.hosts}
        for key in removed_pools:
            if key in self.pools:
                self._unindex(self.pools.pop(key))
                stats.removed += 1
        for name in removed_hosts:
            host = self.hosts.pop(name, None)
            if host is not None:
                for pool in list(host.pools):
                    self._unindex(self.pools.pop(pool.key))
                    stats.removed += 1
                self._unplace_host(host)
        # Order changed indexes now, so that no decision pays for it.
        for index in self._dirty:
            index.buckets()
        self._dirty.clear()
        return stats

    def _put_host(self, row):
        host = self.hosts.get(row.name)
        if host is None:
            host = self.hosts[row.name] = st.HostState(row.name)
        elif (host.zone, host.rack) != (row.zone, row.rack):
            self._unplace_host(host)
        for field in _HOST_FIELDS:
            setattr(host, field, getattr(row, field))
        self._place_host(host)

    def _place_host(self, host):
        self.hosts_by_rack.setdefault(host.rack, {})[host.name] = host
        self.hosts_by_zone.setdefault(host.zone, {})[host.name] = host

    def _unplace_host(self, host):
        self.hosts_by_rack.get(host.rack, {}).pop(host.name, None)
        self.hosts_by_zone.get(host.zone, {}).pop(host.name, None)

    def _put_pool(self, row):
        """Copy *row* in; return 1 if the pool moved between indexes."""
        if row.id is not None and self._ids.get(row.id, row.key) != row.key:
            old = self.pools.pop(self._ids[row.id], None)
            if old is not None:
                self._unindex(old)
        pool = self.pools.get(row.key)
        if row.id is not None:
            self._ids[row.id] = row.key
        if pool is None:
            # A new pool: keep the source's object, nobody else holds it.
            row.pending = []
            self.pools[row.key] = row
            self._index(row)
            return 1
        if row.generation < pool.generation:
            return 0    # a re-read older than what we hold
        moved = pool.index_keys() != row.index_keys()
        if moved:
            self._unindex(pool)
        for field in _POOL_FIELDS:
            setattr(pool, field, getattr(row, field))
        # Claims the store already shows leave the pending list.
        if pool.pending:
            pool.pending = [entry for entry in pool.pending
                            if entry[0] > row.generation]
            pool.used += sum(entry[1] for entry in pool.pending)
            pool.volumes += sum(entry[2] for entry in pool.pending)
        if moved:
            self._index(pool)
        else:
            self._raise_bounds(pool)
        return int(moved)

    def _index(self, pool):
        for index in self._indexes(pool, create=True):
            index.add(pool)
            self._dirty.add(index)
        if pool.scope == 'host':
            host = self.hosts.get(pool.host)
            if host is None:
                # The row of its host comes later or never: keep the
                # pool out of use (state down) until it does.
                host = self.hosts[pool.host] = st.HostState(
                    pool.host, pool.zone, pool.rack, pool.region, 'down')
                self._place_host(host)
            host.pools.append(pool)
            host.pools.sort(key=lambda p: p.key)

    def _indexes(self, pool, create=False):
        """The indexes *pool* is in (by its :meth:`PoolState.index_keys`);
        with *create*, those it goes into, made if missing."""
        wanted = [(self.by_driver, pool.driver), (self.by_rack, pool.rack),
                  (self.by_zone, pool.zone)]
        wanted.extend((self.by_tag, tag) for tag in pool.tags)
        found = [self.everything]
        for indexes, key in wanted:
            if key is None:
                continue
            index = indexes.get(key)
            if index is None and create:
                index = indexes[key] = index_mod.Index()
            if index is not None:
                found.append(index)
        return found

    def _raise_bounds(self, pool):
        for index in self._indexes(pool):
            index.raise_bound(pool)

    def _unindex(self, pool):
        for index in self._indexes(pool):
            index.discard(pool)
            self._dirty.add(index)
        host = self.hosts.get(pool.host) if pool.scope == 'host' else None
        if host is not None and pool in host.pools:
            host.pools.remove(pool)
