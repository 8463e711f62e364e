# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The scheduler's in-memory view of hosts and pools.

:class:`StateCache` is filled and kept fresh from a *source*: anything
with ``changes(marker) -> Changes`` (:mod:`brick.scheduler.source` reads
the inventory database; tests and benchmarks build :class:`Changes`
directly).  A refresh asks only for rows changed since the marker of the
previous one, and applies them in place: an object a filter holds stays
valid.  Deleted pools and hosts come as keys in the changes
(``removed_pools``, ``removed_hosts``), never by re-reading everything.

Every object is mirrored into :class:`~brick.scheduler.columns.Columns`
(one numpy array per field), which the search reads for all pools at
once; a host's own pools are also its :attr:`HostState.pools`, and the
hosts of each rack and zone are kept by name for shared pools.

Claims made by this process (:meth:`StateCache.claim`) lower a pool's free
space at once and are remembered with the generation at which the store
will show them; a refreshed row older than that keeps them, a newer one
already counts them.  The cache itself takes no lock: the selector that
owns it does (:attr:`brick.scheduler.selector.Selector.lock`), one
decision, claim or refresh at a time.
"""

import dataclasses
import gc
import time
from collections.abc import Iterable
from typing import Any
from typing import Protocol

from oslo_log import log as logging

from brick import exception
from brick.scheduler import columns as columns_mod
from brick.scheduler import state as st

LOG = logging.getLogger(__name__)

FREEZE_ABOVE = 10000
"""A load of more rows than this freezes the objects it made."""

_HOST_FIELDS = ('zone', 'rack', 'region', 'state', 'reason')
_POOL_FIELDS = tuple(f.name for f in dataclasses.fields(st.PoolState)
                     if f.name not in ('pending', 'key', 'index'))
# What moves a pool between places: its host's row and its place columns.
_PLACE_FIELDS = ('scope', 'host', 'rack', 'zone')


@dataclasses.dataclass
class Changes:
    """Rows changed since a marker, as the source read them."""

    hosts: list[st.HostState] = dataclasses.field(default_factory=list)
    """New or changed :class:`HostState` objects: copied in, except
    that a first load keeps a new host's object if no cache holds it
    (its ``index`` is -1 and its ``pools`` empty)."""
    pools: list[st.PoolState] = dataclasses.field(default_factory=list)
    """New or changed :class:`PoolState` objects: a new pool's object is
    kept, a known pool's is copied into the one the cache holds; ``used``
    is the store's, without this process's pending claims."""
    removed_hosts: tuple[str, ...] = ()
    removed_pools: tuple[str, ...] = ()
    """Pool keys."""
    removed_pool_ids: tuple[int, ...] = ()
    """Inventory ids of deleted pools (tombstones): a pool is removed
    only if the cache holds it under that id, so a pool deleted and
    created again under the same key stays."""
    marker: object = None
    """What to pass to the next ``changes()``."""
    complete: bool = False
    """True: these are all the rows; any other is gone."""


class Source(Protocol):
    """Where a cache refreshes from (e.g.
    :class:`brick.scheduler.source.StoreSource`)."""

    def changes(self, marker: Any) -> Changes:
        """The rows changed since *marker* (None: every row); the
        result's ``marker`` is what to pass next time."""


@dataclasses.dataclass
class RefreshStats:
    hosts: int = 0
    pools: int = 0
    moved: int = 0
    """Pools whose place, driver, tags or cost changed."""
    removed: int = 0
    seconds: float = 0.0


class StateCache:
    """Hosts and pools by name and key, with their columns."""

    def __init__(self) -> None:
        self.hosts: dict[str, st.HostState] = {}
        self.pools: dict[str, st.PoolState] = {}
        self.columns = columns_mod.Columns()
        self._ids: dict[int, str] = {}
        self.hosts_by_rack: dict[str | None, dict[str, st.HostState]] = {}
        self.hosts_by_zone: dict[str | None, dict[str, st.HostState]] = {}
        self._tagsets: dict[Any, Any] = {}
        self._bulk: list[st.PoolState] | None = None
        self.marker: Any = None
        """The source's marker of the last refresh (None: never)."""
        self.refreshed_at: float | None = None

    # -- reading ---------------------------------------------------------

    def pool(self, key: str) -> st.PoolState:
        """Return the pool with *key*.

        :raises brick.exception.PoolNotFound: no such pool.
        """
        try:
            return self.pools[key]
        except KeyError:
            raise exception.PoolNotFound(
                name=key, reason='not in the scheduler cache') from None

    def key_of(self, pool_id: int) -> str | None:
        """The key of the pool with inventory id *pool_id*, or None."""
        return self._ids.get(pool_id)

    def hosts_sharing(self, pool: st.PoolState) -> Iterable[st.HostState]:
        """The hosts that can use shared *pool* (its rack's or zone's),
        in insertion order; a host pool's own host."""
        if pool.scope == 'rack':
            return self.hosts_by_rack.get(pool.rack, {}).values()
        if pool.scope == 'zone':
            return self.hosts_by_zone.get(pool.zone, {}).values()
        host = self.hosts.get(pool.host) if pool.host is not None else None
        return (host,) if host is not None else ()

    # -- claims ----------------------------------------------------------

    def claim(self, key: str, size: int, volumes: int = 1,
              generation: int | None = None) -> None:
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
        if pool.pending is None:
            pool.pending = []
        pool.pending.append([generation, size, volumes])
        pool.used += size
        pool.volumes += volumes
        self.columns.put_usage(pool)

    def release(self, key: str, size: int, volumes: int = 1) -> None:
        """Undo a claim (a reservation released or a failed create)."""
        pool = self.pool(key)
        pending = pool.pending or []
        for entry in pending:
            if entry[1] == size and entry[2] == volumes:
                pending.remove(entry)
                break
        pool.used = max(0, pool.used - size)
        pool.volumes = max(0, pool.volumes - volumes)
        self.columns.put_usage(pool)

    # -- refresh ---------------------------------------------------------

    def refresh(self, source: Source) -> RefreshStats:
        """Apply the source's changes since the last refresh.

        :param source: an object with ``changes(marker) -> Changes``.
        :returns: :class:`RefreshStats`.
        """
        start = time.perf_counter()
        # The collector is paused while the rows are read too: a first
        # read makes hundreds of thousands of objects, and each full pass
        # it triggered walked all of those made so far (0.7 s of a 2.4 s
        # load at 100,000 hosts).  A small refresh makes few objects and
        # loses nothing by the pause.
        paused = gc.isenabled()
        if paused:
            gc.disable()
        try:
            stats = self.accept(source.changes(self.marker))
        finally:
            if paused:
                gc.enable()
        stats.seconds = time.perf_counter() - start
        return stats

    def accept(self, changes: Changes) -> RefreshStats:
        """Apply *changes* read from a source and move the marker on
        (what :meth:`refresh` does after reading).

        :returns: :class:`RefreshStats`.
        """
        stats = self.apply(changes)
        self.marker = changes.marker
        self.refreshed_at = time.monotonic()
        LOG.debug('Scheduler cache refresh: %d hosts, %d pools changed, '
                  '%d moved, %d removed', stats.hosts, stats.pools,
                  stats.moved, stats.removed)
        return stats

    def refresh_if_due(self, source: Source, interval: float
                       ) -> RefreshStats | None:
        """Refresh if the last one is *interval* seconds old (or never
        happened); return its stats or None."""
        if self.refreshed_at is not None and interval > 0 and (
                time.monotonic() - self.refreshed_at < interval):
            return None
        return self.refresh(source)

    def apply(self, changes: Changes) -> RefreshStats:
        """Apply :class:`Changes` in place.

        A load of more than :data:`FREEZE_ABOVE` rows runs with the
        cyclic garbage collector paused and then freezes what it made
        (``gc.freeze()``): hundreds of thousands of long-lived objects
        kept out of the collector, whose full passes would otherwise walk
        them all, in the load (seconds at 100,000 hosts) and later inside
        some decision (tens to hundreds of ms).  CPython documents this
        use: https://docs.python.org/3/library/gc.html#gc.freeze

        :returns: :class:`RefreshStats` (seconds left at 0).
        """
        bulk = len(changes.hosts) + len(changes.pools) > FREEZE_ABOVE
        paused = bulk and gc.isenabled()
        if paused:
            gc.disable()
        try:
            stats = self._apply(changes)
        finally:
            if paused:
                gc.enable()
        if bulk:
            gc.freeze()
        return stats

    def _apply(self, changes):
        stats = RefreshStats(hosts=len(changes.hosts),
                             pools=len(changes.pools))
        if not self.pools:
            self.columns.pools.reserve(len(changes.pools))
            self.columns.hosts.reserve(len(changes.hosts))
            # A first load writes the pool columns at once, not a row
            # at a time.
            self._bulk = []
        if self._bulk is not None and not self.hosts:
            self._load_hosts(changes.hosts)
        else:
            for host in changes.hosts:
                self._put_host(host)
        try:
            if self._bulk is not None:
                stats.moved += self._load_pools(changes.pools)
            else:
                for pool in changes.pools:
                    stats.moved += self._put_pool(pool)
        finally:
            bulk, self._bulk = self._bulk, None
            if bulk:
                self.columns.put_pools(bulk)
        removed_pools, removed_hosts = self._removed(changes)
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
                self.columns.drop_host(host)
        return stats

    def _removed(self, changes):
        """Keys of the pools and names of the hosts *changes* remove."""
        removed_pools = set(changes.removed_pools)
        for pool_id in changes.removed_pool_ids:
            key = self._ids.get(pool_id)
            if key is not None and self.pools.get(key) is not None and \
                    self.pools[key].id == pool_id:
                removed_pools.add(key)
                del self._ids[pool_id]
        removed_hosts = set(changes.removed_hosts)
        if changes.complete:
            removed_pools |= set(self.pools) - {p.key for p in changes.pools}
            removed_hosts |= set(self.hosts) - {h.name for h in changes.hosts}
        return removed_pools, removed_hosts

    def _put_host(self, row):
        host = self.hosts.get(row.name)
        if host is None:
            host = self.hosts[row.name] = st.HostState(row.name)
        elif (host.zone, host.rack) != (row.zone, row.rack):
            self._unplace_host(host)
        moved = (host.zone, host.rack) != (row.zone, row.rack)
        for field in _HOST_FIELDS:
            setattr(host, field, getattr(row, field))
        self._place_host(host)
        self.columns.put_host(host)
        if moved:
            # Its pools are where it is.
            for pool in host.pools:
                pool.zone, pool.rack, pool.region = (host.zone, host.rack,
                                                     host.region)
                self.columns.put_pool(pool, host.index)

    def _load_hosts(self, rows):
        """A first load: hosts kept (or copied in if another cache holds
        them), their columns written at once."""
        hosts = []
        for row in rows:
            if row.name in self.hosts:
                self._put_host(row)
                continue
            if row.index < 0 and not row.pools:
                # Nobody holds it: a copy would double what 100,000
                # hosts take (21 MiB) and leave the row as garbage.
                host = row
            else:
                host = st.HostState(row.name, row.zone, row.rack,
                                    row.region, row.state, row.reason)
            self.hosts[row.name] = host
            self._place_host(host)
            hosts.append(host)
        self.columns.put_hosts(hosts)

    def _place_host(self, host):
        self.hosts_by_rack.setdefault(host.rack, {})[host.name] = host
        self.hosts_by_zone.setdefault(host.zone, {})[host.name] = host

    def _unplace_host(self, host):
        self.hosts_by_rack.get(host.rack, {}).pop(host.name, None)
        self.hosts_by_zone.get(host.zone, {}).pop(host.name, None)

    def _load_pools(self, rows):
        """A first load: keep each new row as :meth:`_put_pool` and
        :meth:`_index` would, in one loop (their checks and calls cost a
        third of a load at 200,000 pools); what is not plainly new goes
        through them.  Returns the pools added or moved."""
        pools, ids, hosts, tagsets = (self.pools, self._ids, self.hosts,
                                      self._tagsets)
        bulk = self._bulk
        moved = 0
        for row in rows:
            key, pool_id = row.key, row.id
            host = hosts.get(row.host) if row.scope == 'host' else None
            if key in pools or pool_id in ids or (
                    host is None and row.scope == 'host'):
                moved += self._put_pool(row)
                continue
            if pool_id is not None:
                ids[pool_id] = key
            row.pending = None
            row.index = -1
            row.tags = tagsets.setdefault(row.tags, row.tags)
            pools[key] = row
            moved += 1
            if host is None:
                bulk.append((row, columns_mod.NONE))
                continue
            _own(host, row)
            bulk.append((row, host.index))
        return moved

    def _put_pool(self, row):
        """Copy *row* in; return 1 if the pool moved or changed what a
        filter matches on."""
        if row.id is not None and self._ids.get(row.id, row.key) != row.key:
            old = self.pools.pop(self._ids[row.id], None)
            if old is not None:
                self._unindex(old)
        pool = self.pools.get(row.key)
        if row.id is not None:
            self._ids[row.id] = row.key
        if pool is None:
            # A new pool: keep the source's object, nobody else holds it.
            row.pending = None
            row.index = -1
            row.tags = self._tagsets.setdefault(row.tags, row.tags)
            self.pools[row.key] = row
            self._index(row)
            return 1
        if row.generation < pool.generation:
            return 0    # a re-read older than what we hold
        moved = _layout(pool) != _layout(row)
        if moved and pool.scope == 'host':
            self._unhost(pool)
        for field in _POOL_FIELDS:
            setattr(pool, field, getattr(row, field))
        pool.tags = self._tagsets.setdefault(pool.tags, pool.tags)
        # Claims the store already shows leave the pending list.
        if pool.pending:
            pool.pending = [entry for entry in pool.pending
                            if entry[0] > row.generation] or None
            for entry in pool.pending or ():
                pool.used += entry[1]
                pool.volumes += entry[2]
        if moved:
            self._index(pool)
        else:
            self.columns.put_usage(pool)
        return int(moved)

    def _index(self, pool):
        host_row = columns_mod.NONE
        if pool.scope == 'host':
            host = self.hosts.get(pool.host)
            if host is None:
                # The row of its host comes later or never: keep the
                # pool out of use (state down) until it does.
                host = self.hosts[pool.host] = st.HostState(
                    pool.host, pool.zone, pool.rack, pool.region, 'down')
                self._place_host(host)
                self.columns.put_host(host)
            if not any(p is pool for p in host.pools):
                _own(host, pool)
            host_row = host.index
        if self._bulk is not None:
            self._bulk.append((pool, host_row))
        else:
            self.columns.put_pool(pool, host_row)

    def _unhost(self, pool):
        host = self.hosts.get(pool.host) if pool.scope == 'host' else None
        if host is not None and pool in host.pools:
            host.pools = tuple(p for p in host.pools if p is not pool)

    def _unindex(self, pool):
        self._unhost(pool)
        self.columns.drop_pool(pool)


def _key(pool):
    return pool.key


def _own(host, pool):
    """Add *pool* to *host*'s pools, in key order."""
    owned = host.pools = (*host.pools, pool)
    if len(owned) > 1 and owned[-2].key > pool.key:
        host.pools = tuple(sorted(owned, key=_key))


def _layout(pool):
    return (pool.driver, pool.tags, pool.cost, pool.scope, pool.host,
            pool.rack, pool.zone, pool.format, pool.thin, pool.min_unit,
            pool.max_unit, pool.step)
