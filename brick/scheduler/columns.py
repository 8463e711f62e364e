# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Hosts and pools as columns: one numpy array per field.

The :class:`~brick.scheduler.cache.StateCache` keeps every
:class:`~brick.scheduler.state.PoolState` and
:class:`~brick.scheduler.state.HostState` object, and mirrors the fields
filters and weighers read into :class:`Columns`: a pool (or host) is a
row, its :attr:`~brick.scheduler.state.PoolState.index`.  Filters then
decide for every pool at once (a boolean mask) and weighers score every
survivor at once (vector arithmetic), which is what lets a decision look
at every pool of a 100,000-host site in a few milliseconds instead of
stopping early (numpy's own guide to this style:
https://numpy.org/doc/stable/user/basics.indexing.html).

Names (drivers, formats, racks, zones) become small integers through
:class:`Names`; tags become bits of ``tags`` (one ``uint64`` word per 64
distinct tags).  Rows of removed pools are marked dead and reused.
Sizes are int64 bytes; "no limit" is :data:`NO_LIMIT`.
"""

import operator

import numpy as np

from brick import units

NO_LIMIT = np.iinfo(np.int64).max
"""``max_unit`` / ``max_volume`` of a pool that has none."""
SCOPES = {'host': 0, 'rack': 1, 'zone': 2}
NONE = -1
"""Id of a missing rack, zone or host."""

_POOL_COLUMNS = (
    ('alive', np.bool_, False), ('enabled', np.bool_, False),
    ('scope', np.int8, 0), ('host', np.int32, NONE),
    ('rack', np.int32, NONE), ('zone', np.int32, NONE),
    ('free', np.int64, 0), ('max_volume', np.int64, NO_LIMIT),
    ('largest', np.int64, 0), ('room', np.int64, 0),
    ('min_unit', np.int64, 1), ('max_unit', np.int64, NO_LIMIT),
    ('step', np.int64, 1), ('step_class', np.int32, 0),
    ('cost', np.float64, 0.0),
    ('driver', np.int32, NONE), ('format', np.int32, NONE),
    ('thin', np.bool_, False), ('volumes', np.int64, 0))
# ``up``: the host takes new volumes (its state is ``enabled``).
_HOST_COLUMNS = (('alive', np.bool_, False), ('up', np.bool_, False),
                 ('rack', np.int32, NONE), ('zone', np.int32, NONE))


class Names:
    """Small integer ids for names, given in order of first sight."""

    def __init__(self):
        self.ids = {}
        self.names = []

    def id(self, name):
        """The id of *name* (a new one if unseen); NONE for None."""
        if name is None:
            return NONE
        found = self.ids.get(name)
        if found is None:
            found = self.ids[name] = len(self.names)
            self.names.append(name)
        return found

    def get(self, name):
        """The id of *name*, or None if it was never seen."""
        return self.ids.get(name)


class Table:
    """Rows of fixed-type columns that grow by doubling; dead rows are
    reused."""

    def __init__(self, columns, capacity=64):
        self._spec = columns
        self.size = 0
        """Rows in use or dead; rows beyond are unallocated."""
        self._free_rows = []
        for name, kind, default in columns:
            setattr(self, name, np.full(capacity, default, dtype=kind))
        self.version = 0
        """Bumped when rows come or go, or a host's place or state
        changes (cached derived arrays expire)."""

    @property
    def capacity(self):
        return len(self.alive)

    def allocate(self):
        """A row for a new object."""
        self.version += 1
        if self._free_rows:
            return self._free_rows.pop()
        if self.size == self.capacity:
            self._grow(self.capacity * 2)
        self.size += 1
        return self.size - 1

    def allocate_many(self, count):
        """*count* new rows at the end, as an array."""
        self.reserve(count)
        self.version += 1
        start = self.size
        self.size += count
        return np.arange(start, self.size)

    def reserve(self, rows):
        """Make room for *rows* more rows at once (a bulk load)."""
        if self.size + rows > self.capacity:
            self._grow(max(self.size + rows, self.capacity * 2))

    def release(self, row):
        for name, _kind, default in self._spec:
            getattr(self, name)[row] = default
        self._free_rows.append(row)
        self.version += 1

    def _grow(self, capacity):
        for name, kind, default in self._spec:
            old = getattr(self, name)
            new = np.full(capacity, default, dtype=kind)
            new[:len(old)] = old
            setattr(self, name, new)
        self._grown(capacity)

    def _grown(self, capacity):
        pass


class PoolTable(Table):
    """Pool rows; ``tags`` is a ``(rows, words)`` uint64 bit matrix."""

    def __init__(self, capacity=64):
        super().__init__(_POOL_COLUMNS, capacity)
        self.tags = np.zeros((capacity, 1), dtype=np.uint64)

    def _grown(self, capacity):
        tags = np.zeros((capacity, self.tags.shape[1]), dtype=np.uint64)
        tags[:len(self.tags)] = self.tags
        self.tags = tags

    def widen(self, words):
        """Make room for *words* words of tag bits."""
        if words > self.tags.shape[1]:
            tags = np.zeros((len(self.tags), words), dtype=np.uint64)
            tags[:, :self.tags.shape[1]] = self.tags
            self.tags = tags

    def release(self, row):
        super().release(row)
        self.tags[row] = 0


class Columns:
    """The pool and host tables and the names they use."""

    def __init__(self):
        self.pools = PoolTable()
        self.hosts = Table(_HOST_COLUMNS)
        self.drivers = Names()
        self.formats = Names()
        self.racks = Names()
        self.zones = Names()
        self.tags = Names()
        self.steps = Names()
        self.steps.id(1)
        """Distinct step sizes: a volume's charge is computed once per
        step, not once per pool."""
        self.pool_objects = []
        """Row -> :class:`~brick.scheduler.state.PoolState` (None when
        dead)."""
        self.host_objects = []
        """Row -> :class:`~brick.scheduler.state.HostState`."""
        self._derived = {}
        self.states = 0
        """Bumped when a pool is enabled or disabled."""

    # -- writing ---------------------------------------------------------

    def put_host(self, host):
        """Write *host*'s row (allocating one if it has none)."""
        table = self.hosts
        row = _row(table, self.host_objects, host)
        table.alive[row] = True
        up = host.state == 'enabled'
        if table.up[row] != up:
            table.up[row] = up
            table.version += 1
        rack, zone = self.racks.id(host.rack), self.zones.id(host.zone)
        if table.rack[row] != rack or table.zone[row] != zone:
            table.rack[row], table.zone[row] = rack, zone
            table.version += 1

    def put_hosts(self, hosts):
        """Write many new hosts at once (a first load)."""
        table = self.hosts
        rows = self._rows(table, self.host_objects, hosts)
        table.alive[rows] = True
        table.up[rows] = [h.state == 'enabled' for h in hosts]
        table.rack[rows] = [self.racks.id(h.rack) for h in hosts]
        table.zone[rows] = [self.zones.id(h.zone) for h in hosts]

    @staticmethod
    def _rows(table, objects, items):
        if table.size != len(objects) or table._free_rows:
            rows = np.asarray([table.allocate() for _ in items],
                              dtype=np.int64)
            for row, item in zip(rows.tolist(), items, strict=True):
                _place(objects, row, item)
        else:
            rows = table.allocate_many(len(items))
            objects.extend(items)
        for row, item in zip(rows.tolist(), items, strict=True):
            item.index = row
        return rows

    def drop_host(self, host):
        _drop(self.hosts, self.host_objects, host)

    def put_pool(self, pool, host_row):
        """Write *pool*'s row; *host_row* is its host's row (or NONE)."""
        table = self.pools
        row = _row(table, self.pool_objects, pool)
        table.alive[row] = True
        table.scope[row] = SCOPES[pool.scope]
        table.host[row] = host_row
        table.rack[row] = NONE if pool.scope == 'zone' else \
            self.racks.id(pool.rack)
        table.zone[row] = self.zones.id(pool.zone)
        table.min_unit[row] = pool.min_unit
        table.max_unit[row] = NO_LIMIT if pool.max_unit is None \
            else pool.max_unit
        table.step[row] = pool.step
        table.step_class[row] = self.steps.id(max(1, pool.step))
        table.cost[row] = pool.cost
        table.driver[row] = self.drivers.id(pool.driver)
        table.format[row] = self.formats.id(pool.format)
        table.thin[row] = bool(pool.thin)
        table.tags[row] = self.tag_bits(pool.tags)
        table.version += 1
        self.put_usage(pool)

    def put_pools(self, entries):
        """Write many new pools at once: ``[(pool, host row)]`` (a
        first load; the same values as :meth:`put_pool`, a column at a
        time, names looked up once per distinct name)."""
        table = self.pools
        pools = [pool for pool, _host in entries]
        rows = self._rows(table, self.pool_objects, pools)

        def put(name, values):
            getattr(table, name)[rows] = values

        def values(field):
            return list(map(operator.attrgetter(field), pools))
        scopes = values('scope')
        put('alive', True)
        put('scope', _mapped(SCOPES.__getitem__, scopes))
        put('host', [host for _pool, host in entries])
        put('rack', _mapped(self.racks.id, [
            None if scope == 'zone' else rack
            for scope, rack in zip(scopes, values('rack'), strict=True)]))
        put('zone', _mapped(self.zones.id, values('zone')))
        put('min_unit', values('min_unit'))
        max_units = values('max_unit')
        put('max_unit', [NO_LIMIT if m is None else m for m in max_units])
        steps = values('step')
        put('step', steps)
        put('step_class', _mapped(lambda step: self.steps.id(max(1, step)),
                                  steps))
        put('cost', values('cost'))
        put('driver', _mapped(self.drivers.id, values('driver')))
        put('format', _mapped(self.formats.id, values('format')))
        put('thin', [bool(thin) for thin in values('thin')])
        tags = values('tags')
        tagsets = dict.fromkeys(tags)
        for found in tagsets:
            self.tag_bits(found)        # every bit known: final width
        bits = {found: self.tag_bits(found) for found in tagsets}
        table.tags[rows] = [bits[found] for found in tags]
        put('free', [p.capacity - p.used - p.unmanaged for p in pools])
        put('max_volume', [NO_LIMIT if m is None else m
                           for m in values('max_volume')])
        # largest = min(free, max_volume), as PoolState.largest.
        table.largest[rows] = np.minimum(table.free[rows],
                                         table.max_volume[rows])
        table.room[rows] = np.minimum(table.largest[rows],
                                      table.max_unit[rows])
        put('volumes', values('volumes'))
        put('enabled', [state == 'enabled' for state in values('state')])

    def put_usage(self, pool):
        """Write what claims and reports change: free space, the largest
        volume, volumes held, state."""
        table, row = self.pools, pool.index
        table.free[row] = pool.free
        table.max_volume[row] = NO_LIMIT if pool.max_volume is None \
            else pool.max_volume
        # What filters and weighers compare with, kept ready: the
        # largest volume that fits, and that and max_unit together.
        table.largest[row] = pool.largest
        table.room[row] = min(pool.largest, table.max_unit[row])
        table.volumes[row] = pool.volumes
        enabled = pool.state == 'enabled'
        if table.enabled[row] != enabled:
            table.enabled[row] = enabled
            self.states += 1

    def drop_pool(self, pool):
        _drop(self.pools, self.pool_objects, pool)

    def tag_bits(self, tags):
        """The bit words of the tag set *tags* (new tags get bits)."""
        bits = [self.tags.id(tag) for tag in tags]
        words = max(bits, default=0) // 64 + 1
        self.pools.widen(words)
        row = np.zeros(self.pools.tags.shape[1], dtype=np.uint64)
        for bit in bits:
            row[bit // 64] |= np.uint64(1 << (bit % 64))
        return row

    # -- reading ---------------------------------------------------------

    def wanted_bits(self, tags):
        """The bit words of *tags*, or None if one was never seen (no
        pool carries it)."""
        row = np.zeros(self.pools.tags.shape[1], dtype=np.uint64)
        for tag in tags:
            bit = self.tags.get(tag)
            if bit is None:
                return None
            row[bit // 64] |= np.uint64(1 << (bit % 64))
        return row

    def charges(self, size):
        """Per step class, *size* rounded up to that step."""
        return np.array([units.round_up(size, step)
                         for step in self.steps.names], dtype=np.int64)

    def grouped(self, what):
        """Live pool rows grouped by ``'rack'`` or ``'zone'`` id:
        ``(rows, starts)``, group *g* being ``rows[starts[g]:starts[g +
        1]]`` (cached until pools come, go or move)."""
        def build():
            rows = self.live_pools()
            owner = getattr(self.pools, what)[rows]
            order = np.argsort(owner, kind='stable')
            count = len((self.racks if what == 'rack' else
                         self.zones).names)
            starts = np.searchsorted(owner[order], np.arange(count + 1))
            return rows[order], starts
        return self.cached('group_' + what, self.pools.version, build)

    def lookup(self, size, rows):
        """A bool array of *size* + 1 entries, True at *rows* (the last
        entry, for a missing id of -1, stays False)."""
        found = np.zeros(size + 1, dtype=np.bool_)
        found[np.asarray(list(rows), dtype=np.int64)] = True
        return found

    def live_pools(self):
        """Rows of every live pool, ascending (cached)."""
        return self.cached('live', self.pools.version, lambda: np.flatnonzero(
            self.pools.alive[:self.pools.size]))

    def pool_key_rank(self):
        """Per pool row, its rank in pool key order (for ties)."""
        def build():
            rank = np.zeros(self.pools.capacity, dtype=np.int64)
            rows = self.live_pools()
            order = sorted(rows.tolist(),
                           key=lambda r: self.pool_objects[r].key)
            rank[np.asarray(order, dtype=np.int64)] = np.arange(len(order))
            return rank
        return self.cached('key_rank', self.pools.version, build)

    def host_name_rank(self):
        """Per host row, its rank in host name order."""
        def build():
            rank = np.zeros(self.hosts.capacity, dtype=np.int64)
            rows = [r for r in range(self.hosts.size)
                    if self.host_objects[r] is not None]
            rows.sort(key=lambda r: self.host_objects[r].name)
            rank[np.asarray(rows, dtype=np.int64)] = np.arange(len(rows))
            return rank
        return self.cached('name_rank', self.hosts.version, build)

    def first_host_by(self, what):
        """Per rack (``what='rack'``) or zone id, the row of its first up
        host by name, or NONE; the second array: its first host of any
        state (so that a filter can say why none is up)."""
        def build():
            hosts = self.hosts
            count = len((self.racks if what == 'rack' else
                         self.zones).names)
            owner = getattr(hosts, what)[:hosts.size]
            order = np.argsort(self.host_name_rank()[:hosts.size],
                               kind='stable')
            found = []
            for wanted in (hosts.up[:hosts.size], hosts.alive[:hosts.size]):
                rows = order[wanted[order] & (owner[order] >= 0)]
                first = np.full(count + 1, NONE, dtype=np.int64)
                # unique() gives each owner's first row in name order.
                owners, at = np.unique(owner[rows], return_index=True)
                first[owners] = rows[at]
                found.append(first)
            return tuple(found)
        return self.cached('first_' + what, self.hosts.version, build)

    def host_volumes(self):
        """Volumes held by each host's own pools, per host row."""
        pools = self.pools
        rows = self.live_pools()
        own = rows[pools.scope[rows] == 0]
        return np.bincount(pools.host[own], weights=pools.volumes[own],
                           minlength=self.hosts.capacity)

    def cached(self, name, version, build):
        """*build()*'s value, kept under *name* until *version* changes
        (arrays derived from the columns)."""
        found = self._derived.get(name)
        if found is not None and found[0] == version:
            return found[1]
        value = build()
        self._derived[name] = (version, value)
        return value


def _mapped(function, values):
    """``[function(v) for v in values]``, calling *function* once per
    distinct value, in order of first sight (ids are given in that
    order)."""
    found = {value: function(value) for value in dict.fromkeys(values)}
    return list(map(found.__getitem__, values))


def _row(table, objects, item):
    """*item*'s row in *table*, allocated (and *item* recorded in
    *objects*) if it has none."""
    if item.index < 0:
        item.index = table.allocate()
        _place(objects, item.index, item)
    return item.index


def _drop(table, objects, item):
    """Release *item*'s row, if it has one."""
    if item.index >= 0:
        table.release(item.index)
        objects[item.index] = None
        item.index = -1


def _place(objects, row, obj):
    if row == len(objects):
        objects.append(obj)
    else:
        objects[row] = obj
