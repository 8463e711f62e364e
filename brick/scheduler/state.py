# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""What the scheduler knows about hosts and pools, in memory.

:class:`HostState` and :class:`PoolState` are the scheduler's copies of
the inventory rows (:mod:`brick.inventory`), kept by a
:class:`~brick.scheduler.cache.StateCache` and read by filters and
weighers.  Sizes are int bytes.

A pool is *host-scoped* (its bytes are on one host) or *shared* by every
host of a rack or a zone (an NFS mount, say).  A shared pool exists once:
its capacity is counted once however many hosts can use it, and a claim
through any of them lowers the one :attr:`PoolState.used` (Nova reported
shared storage once per compute node and over-counted it, bug 1784020).
Its distance from a host is the level of its scope: a pool shared by a
rack is at rack distance from every host of that rack, never on the host.

The cache mirrors these objects into numpy columns
(:mod:`brick.scheduler.columns`), which filters and weighers read for
every pool at once.
"""

import dataclasses

from brick import units
from brick.inventory import fields
from brick.inventory import topology

SCOPE_DISTANCE = {'host': topology.SAME_HOST, 'rack': topology.SAME_RACK,
                  'zone': topology.SAME_ZONE}
"""How far a pool of each scope is from a host inside that scope."""


def pool_key(name: str, scope: str, owner: str | None) -> str:
    """The key of a pool, as :attr:`brick.inventory.pools.Pool.key`
    spells it: ``host:h1/lvm``, ``rack:r1/nfs``, ``zone:z1/nfs`` (pool
    names are unique per owner only)."""
    return '%s:%s/%s' % (scope, owner, name)


@dataclasses.dataclass(slots=True, eq=False)
class HostState:
    """A host: where it is and whether it takes new volumes."""

    name: str
    zone: str | None = None
    rack: str | None = None
    region: str | None = None
    state: str = 'enabled'
    reason: str | None = None
    """Why the host is in its state, when known (liveness)."""
    pools: tuple['PoolState', ...] = ()
    """Its host-scoped :class:`PoolState` objects, by key order (a
    tuple the cache replaces when they change: a list per host took 8
    MiB at 100,000 hosts)."""
    index: int = -1
    """Its row in :class:`~brick.scheduler.columns.Columns` (-1: none
    yet)."""

    @property
    def volumes(self) -> int:
        """Volumes held by the host's own pools (shared pools excluded)."""
        return sum(pool.volumes for pool in self.pools)

    @property
    def place(self) -> topology.Place:
        return topology.Place(self.region, self.zone, self.rack, self.name)


@dataclasses.dataclass(slots=True, eq=False)
class PoolState:
    """A pool as the scheduler sees it.

    ``capacity`` is :func:`brick.inventory.fields.capacity` of total,
    reserved and allocation ratio (the inventory's own arithmetic) and
    ``free = capacity - used - unmanaged``; ``used`` counts allocations
    and live reservations, including this process's claims that the
    store has not shown yet (:attr:`pending`).
    """

    name: str
    driver: str
    scope: str = 'host'
    host: str | None = None
    rack: str | None = None
    zone: str | None = None
    region: str | None = None
    total: int = 0
    reserved: int = 0
    allocation_ratio: float = 1.0
    used: int = 0
    unmanaged: int = 0
    min_unit: int = 1
    max_unit: int | None = None
    step: int = 1
    max_volume: int | None = None
    """Largest single volume the node said it could create now."""
    cost: float = 0.0
    role: str | None = None
    tags: frozenset[str] = frozenset()
    state: str = 'enabled'
    thin: bool = False
    format: str | None = None
    volumes: int = 0
    generation: int = 0
    id: int | None = None
    capacity: int = None  # type: ignore[assignment]
    """None (the default) is computed by ``__post_init__``."""
    key: str = ''
    pending: list[list[int]] | None = None
    """This process's claims not yet seen in the store:
    ``[generation the store will show them at, size, volumes]`` (None:
    none, which saves a list per pool)."""
    index: int = -1
    """Its row in :class:`~brick.scheduler.columns.Columns` (-1: none
    yet)."""

    def __post_init__(self) -> None:
        if self.capacity is None:
            self.capacity = fields.capacity(self.total, self.reserved,
                                            self.allocation_ratio)
        if type(self.tags) is not frozenset:
            self.tags = frozenset(self.tags)
        if not self.key:
            self.key = pool_key(self.name, self.scope, self.owner)

    @property
    def owner(self) -> str | None:
        """The host, rack or zone the scope names."""
        return {'host': self.host, 'rack': self.rack,
                'zone': self.zone}[self.scope]

    @property
    def free(self) -> int:
        """Bytes a new volume may still take (virtual, after the
        allocation ratio)."""
        return self.capacity - self.used - self.unmanaged

    @property
    def largest(self) -> int:
        """The largest single volume that fits now."""
        if self.max_volume is None:
            return self.free
        return min(self.free, self.max_volume)

    @property
    def domain(self) -> str | None:
        """The failure domain affinity rules compare: the host of a
        host-scoped pool, the pool itself for a shared one."""
        return self.host if self.scope == 'host' else self.key

    @property
    def place(self) -> topology.Place:
        return topology.Place(self.region, self.zone, self.rack,
                              self.host if self.scope == 'host' else None)

def charge(pool: PoolState, size: int) -> int:
    """Bytes a volume of *size* takes in *pool*: rounded up to the
    pool's step (an LVM extent), as the driver will round it."""
    step = pool.step
    if step <= 1 or not size % step:
        return size
    return units.round_up(size, step)


def distance(host: HostState, pool: PoolState) -> int:
    """How far *pool* is from *host* (0 same host ... 3 farther than a
    zone): :func:`brick.inventory.topology.distance` of their places,
    without building them (this runs for every candidate)."""
    if pool.scope == 'host' and pool.host == host.name:
        return topology.SAME_HOST
    if pool.rack is not None and pool.rack == host.rack and (
            pool.scope != 'zone'):
        return topology.SAME_RACK
    if pool.zone is not None and pool.zone == host.zone:
        return topology.SAME_ZONE
    return topology.FAR
