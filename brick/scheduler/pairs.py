# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""(consumer host, pool) pairs as arrays, and where they come from.

A :class:`Pairs` holds, for one volume, parallel arrays of pool rows,
consumer host rows and their distance in
:class:`~brick.scheduler.columns.Columns`; filters' ``mask`` and
weighers' ``weigh_all`` read them.

Which pairs a decision considers (:func:`derived` and :func:`anchored`):

* No consumer host named (``ctx.consumers`` is None): every live pool
  once.  A host pool goes with its own host (distance 0), a pool shared
  by a rack or zone with the first host of that rack or zone, by name,
  that is up and not excluded (distance 1 or 2): all its hosts are
  equally near, so the first by name stands for them (a shared pool is
  one candidate, not one per host).
* Consumer hosts named (``local_to_instance``, ``near_volume``,
  ``hosts``, an availability zone or rack): every live pool once, with
  the closest usable consumer host (up, in the requested place); ties
  between equally close consumers go to the first by name.  A shared
  pool that no consumer may mount gets distance :data:`OUTSIDE`.
* Multi-volume requests need a pair per consumer host and pool
  (:func:`expand`): the candidates are hosts, each volume taking its
  best pool beside the others.
"""

import numpy as np

from brick.scheduler import columns as columns_mod

OUTSIDE = 4
"""Distance of a shared pool from hosts outside its rack or zone."""


class Pairs:
    """Parallel arrays of pool rows, consumer host rows, distances.

    :param cache: the :class:`~brick.scheduler.cache.StateCache`.
    """

    __slots__ = ('cache', 'columns', 'pools', 'hosts', 'distance',
                 'unique', 'dense', 'shared_base')

    def __init__(self, cache, pools, hosts, distance, unique=True):
        self.cache = cache
        self.columns = cache.columns
        self.pools = pools
        self.hosts = hosts
        self.distance = distance
        self.unique = unique
        """Each pool at most once (False: a pair per host and pool)."""
        self.dense = len(pools) > 0 and unique and pools[0] == 0 and \
            pools[-1] == len(pools) - 1
        """The pools are rows 0..n-1 in order: a column is a slice."""
        self.shared_base = False
        """The pool-derived pairs every decision shares (so a filter may
        keep its verdict on them between decisions)."""

    def __len__(self):
        return len(self.pools)

    def take(self, keep):
        """The pairs where *keep* (a mask or rows) holds."""
        return Pairs(self.cache, self.pools[keep], self.hosts[keep],
                     self.distance[keep], self.unique)


    def objects(self, position):
        """``(HostState, PoolState)`` of the pair at *position*."""
        cols = self.columns
        return (cols.host_objects[self.hosts[position]],
                cols.pool_objects[self.pools[position]])

    def column(self, name):
        """Pool column *name* for every pair."""
        if self.dense:
            return getattr(self.columns.pools, name)[:len(self.pools)]
        return getattr(self.columns.pools, name)[self.pools]


def empty(cache):
    none = np.zeros(0, dtype=np.int64)
    return Pairs(cache, none, none, np.zeros(0, dtype=np.int8))


def derived(ctx):
    """Every live pool with the host that stands for it (no consumer
    named)."""
    cache = ctx.cache
    cols = cache.columns
    request = ctx.request
    if request.rack is not None or request.availability_zone is not None:
        # Only the pools of that rack or zone can pass.
        found = derived_all(ctx)
        what = 'rack' if request.rack is not None else 'zone'
        names = cols.racks if what == 'rack' else cols.zones
        owner = names.get(getattr(request, 'rack' if what == 'rack'
                                  else 'availability_zone'))
        if owner is None:
            return empty(cache)
        rows, starts = cols.grouped(what)
        mine = rows[starts[owner]:starts[owner + 1]]
        at = np.searchsorted(found.pools, mine)
        at = at[at < len(found.pools)]
        return found.take(at[np.isin(found.pools[at], mine)])
    return derived_all(ctx)


def derived_all(ctx):
    """:func:`derived` for every live pool."""
    cache = ctx.cache
    cols = cache.columns
    if ctx.request.exclude_hosts:
        return _derived(ctx)
    # The same for every decision until pools come, go or move, or a
    # host changes place or state: kept.
    found = cols.cached('derived', (cols.pools.version,
                                     cols.hosts.version),
                         lambda: _derived(ctx))
    shared = Pairs(cache, found.pools, found.hosts, found.distance)
    shared.shared_base = True
    return shared


def _derived(ctx):
    cache = ctx.cache
    cols = cache.columns
    table = cols.pools
    rows = cols.live_pools()
    scope = table.scope[rows]
    hosts = table.host[rows].astype(np.int64)
    shared = np.flatnonzero(scope > 0)
    if len(shared):
        first_up_rack, any_rack = cols.first_host_by('rack')
        first_up_zone, any_zone = cols.first_host_by('zone')
        for which, column, first_up, first_any in (
                (1, table.rack, first_up_rack, any_rack),
                (2, table.zone, first_up_zone, any_zone)):
            mine = shared[scope[shared] == which]
            owner = column[rows[mine]]
            up = first_up[owner]
            hosts[mine] = np.where(up >= 0, up, first_any[owner])
        excluded = ctx.request.exclude_hosts
        if excluded:
            for i in shared.tolist():
                host = cols.host_objects[hosts[i]] if hosts[i] >= 0 else None
                if host is not None and host.name in excluded:
                    hosts[i] = _first_usable(ctx, table, rows[i], hosts[i])
    keep = hosts >= 0
    if not keep.all():
        rows, hosts, scope = rows[keep], hosts[keep], scope[keep]
    return Pairs(cache, rows, hosts, scope.astype(np.int8))


def _first_usable(ctx, table, row, fallback):
    """The first host by name sharing pool *row* that is up and not
    excluded, or *fallback*."""
    pool = ctx.cache.columns.pool_objects[row]
    for host in sorted(ctx.cache.hosts_sharing(pool), key=_name):
        if host.state == 'enabled' and host.name not in \
                ctx.request.exclude_hosts:
            return host.index
    return fallback


def _name(host):
    return host.name


def usable(ctx, hosts):
    """Of consumer *hosts*, those a pair may use: enabled and in the
    requested place; all of them if none is (the filters then say
    why)."""
    found = [h for h in hosts if h.state == 'enabled' and ctx.in_place(h)]
    return found or list(hosts)


def anchored(ctx, consumers):
    """Every live pool with its closest usable host of *consumers*."""
    cache = ctx.cache
    cols = cache.columns
    if not consumers:
        return empty(cache)
    table = cols.pools
    hosts = sorted(usable(ctx, consumers), key=_name)
    rows = _region(ctx, hosts)
    scope = table.scope[rows]
    racks = len(cols.racks.names)
    zones = len(cols.zones.names)
    # Sentinel slot at the end: a missing rack or zone (-1) finds none.
    rack_first = np.full(racks + 1, columns_mod.NONE, dtype=np.int64)
    zone_first = np.full(zones + 1, columns_mod.NONE, dtype=np.int64)
    mine = np.zeros(cols.hosts.capacity + 1, dtype=np.bool_)
    for host in reversed(hosts):
        mine[host.index] = True
        rack = cols.hosts.rack[host.index]
        zone = cols.hosts.zone[host.index]
        if rack >= 0:
            rack_first[rack] = host.index
        if zone >= 0:
            zone_first[zone] = host.index
    pool_host = table.host[rows]
    on_host = (scope == 0) & mine[pool_host]
    near_rack = rack_first[table.rack[rows]]
    near_zone = zone_first[table.zone[rows]]
    far = np.where(scope == 0, 3, OUTSIDE)
    distance = np.where(
        on_host, 0, np.where((near_rack >= 0) & (scope < 2), 1, np.where(
            (near_zone >= 0) & (scope != 1), 2, far)))
    chosen = np.select(
        [distance == 0, distance == 1, distance == 2],
        [pool_host, near_rack, near_zone], hosts[0].index).astype(np.int64)
    return Pairs(cache, rows, chosen, distance.astype(np.int8))


def _region(ctx, hosts):
    """Pool rows that can be within ``ctx.tier`` of *hosts*: their own
    pools and those of their racks (host tier: the rack too, so that an
    explanation can say what is just too far) or zones; every pool at
    tier ``any``."""
    cols = ctx.cache.columns
    if ctx.tier >= 3:
        return cols.live_pools()
    what = 'rack' if ctx.tier <= 1 else 'zone'
    rows, starts = cols.grouped(what)
    owners = sorted({int(getattr(cols.hosts, what)[h.index])
                     for h in hosts} - {columns_mod.NONE})
    parts = [rows[starts[o]:starts[o + 1]] for o in owners]
    parts.append(np.asarray([p.index for h in hosts for p in h.pools
                             if getattr(p, what) is None],
                            dtype=rows.dtype))
    found = np.concatenate(parts)
    found.sort()
    return found


def expand(ctx, consumers, pools):
    """A pair for every host of *consumers* and every pool row of
    *pools* within reach (multi-volume requests: candidates per host).

    :param consumers: :class:`~brick.scheduler.state.HostState` objects.
    :param pools: a :class:`Pairs` whose pool rows to pair.
    """
    cache = ctx.cache
    cols = cache.columns
    table = cols.pools
    rows = np.unique(pools.pools)
    if not len(rows) or not consumers:
        return empty(cache)
    scope = table.scope[rows]
    host_rack = cols.hosts.rack
    host_zone = cols.hosts.zone
    out_pools, out_hosts, out_distance = [], [], []
    for host in usable(ctx, consumers):
        row, rack, zone = host.index, host_rack[host.index], \
            host_zone[host.index]
        same_rack = (table.rack[rows] == rack) & (rack >= 0) & (scope < 2)
        same_zone = (table.zone[rows] == zone) & (zone >= 0) & (scope != 1)
        distance = np.where(
            (scope == 0) & (table.host[rows] == row), 0, np.where(
                same_rack, 1, np.where(same_zone, 2, np.where(
                    scope == 0, 3, OUTSIDE))))
        out_pools.append(rows)
        out_hosts.append(np.full(len(rows), row, dtype=np.int64))
        out_distance.append(distance.astype(np.int8))
    return Pairs(cache, np.concatenate(out_pools),
                 np.concatenate(out_hosts), np.concatenate(out_distance),
                 unique=False)
