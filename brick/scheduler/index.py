# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Ordered index lists of pools, with free-space bounds.

An :class:`Index` holds the pools with one driver, one tag, in one rack
or zone, or all of them.  A search visits it cheapest first: pools of
equal cost form a :class:`Bucket`, sorted by key, and each bucket is
entered at a rotating cursor so that successive requests start on
different pools.

Index and buckets keep an upper bound of the largest volume their pools
can take (``max_free``; ``max_free_host`` for host-scoped pools only).
A bound is raised when a pool joins or gains space, never lowered by a
claim (claims only take space) and recomputed when membership changes,
so "larger than the bound" proves that no pool there fits: a search
skips such an index or bucket without reading it
(:meth:`brick.scheduler.filters.base.BaseFilter.excludes`).
"""


class Bounded:
    """The free-space bound shared by indexes and buckets."""

    __slots__ = ()

    def raise_bound(self, pool):
        free = pool.largest
        if free > self.max_free:
            self.max_free = free
        if pool.scope == 'host' and free > self.max_free_host:
            self.max_free_host = free

    def bound(self, shared=True):
        """The bound over all pools, or host-scoped ones only."""
        return self.max_free if shared else self.max_free_host


class Bucket(Bounded, list):
    """Pools of one cost, by key."""

    __slots__ = ('cost', 'max_free', 'max_free_host')

    def __init__(self, cost, pools):
        super().__init__(sorted(pools, key=_by_key))
        self.cost = cost
        self.max_free = self.max_free_host = 0
        for pool in self:
            self.raise_bound(pool)


class Index(Bounded):
    """An ordered set of pools, grouped by cost, visited in rotation."""

    __slots__ = ('members', '_buckets', '_by_cost', '_flat', 'cursor',
                 'max_free', 'max_free_host')

    def __init__(self):
        self.members = {}
        self._buckets = self._flat = None
        self._by_cost = {}
        self.cursor = 0
        self.max_free = self.max_free_host = 0

    def __len__(self):
        return len(self.members)

    def add(self, pool):
        self.members[pool.key] = pool
        self._buckets = self._flat = None
        self._by_cost = {}
        self.raise_bound(pool)

    def discard(self, pool):
        if self.members.pop(pool.key, None) is not None:
            self._buckets = self._flat = None
            self._by_cost = {}

    def raise_bound(self, pool):
        super().raise_bound(pool)
        bucket = self._by_cost.get(pool.cost)
        if bucket is not None:
            bucket.raise_bound(pool)
        if self._flat is not None:
            self._flat.raise_bound(pool)

    def buckets(self):
        """The :class:`Bucket` objects, cheapest first."""
        if self._buckets is None:
            by_cost = {}
            for pool in self.members.values():
                by_cost.setdefault(pool.cost, []).append(pool)
            self._buckets = [Bucket(cost, by_cost[cost])
                             for cost in sorted(by_cost)]
            self._by_cost = {bucket.cost: bucket for bucket in self._buckets}
            self.max_free = max((b.max_free for b in self._buckets),
                                default=0)
            self.max_free_host = max((b.max_free_host for b in self._buckets),
                                     default=0)
        return self._buckets

    def visit(self, order=1, skip=None):
        """Yield every pool, cheapest first (dearest first if *order* is
        negative, cost ignored if 0), each bucket from the rotation
        cursor.

        :param skip: ``skip(bucket) -> bool``: leave a bucket out (its
            bound shows nothing in it can fit).
        """
        buckets = self.buckets()
        if order == 0 and len(buckets) > 1:
            if self._flat is None:
                self._flat = Bucket(None, self.members.values())
            buckets = [self._flat]
        elif order < 0:
            buckets = buckets[::-1]
        for bucket in buckets:
            if skip is not None and skip(bucket):
                continue
            size = len(bucket)
            start = self.cursor % size
            for i in range(start, size):
                yield bucket[i]
            for i in range(start):
                yield bucket[i]


def _by_key(pool):
    return pool.key
