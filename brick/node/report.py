# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""A node's report: what its pools hold, as plain data.

A node never writes the inventory; it describes its pools
(:meth:`brick.node.base.Node.report`) and the control side writes and
reconciles the description (:mod:`brick.inventory.census`).  Over RPC a
report travels as :meth:`NodeReport.to_primitive` (JSON-able dicts and
lists) and is checked field by field by :meth:`NodeReport.from_primitive`
on arrival, since it comes from the network.

Each pool carries a :attr:`PoolReport.digest` of everything in it, so
that ``brick-node`` can send only the pools whose digest changed
(:mod:`brick.node.service`).
"""

import dataclasses
import hashlib
import json
import time
from collections.abc import Iterable
from typing import Any

from brick import exception
from brick import names
from brick.drivers import volume as volume_mod

FORMAT = 1
"""The report format this brick writes and reads; a report of another
format is refused with a message naming both."""

_CAPACITY_FIELDS = tuple(f.name for f in dataclasses.fields(
    volume_mod.CapacityReport))


@dataclasses.dataclass(frozen=True)
class VolumeEntry:
    """One volume on a pool, as the node sees it."""

    name: str
    size: int
    """Virtual size in bytes."""
    managed: bool
    """True if brick made it (its marker is there)."""


@dataclasses.dataclass(frozen=True)
class PoolReport:
    """One pool: its driver's capacity report and every volume on it."""

    pool: str
    driver: str
    capacity: volume_mod.CapacityReport
    volumes: tuple[VolumeEntry, ...]
    """:class:`VolumeEntry` objects, sorted by name."""

    @property
    def digest(self) -> str:
        """A hash of what the inventory keeps of this report: its volumes,
        ``total``, ``step``, and ``max_volume`` to 1% of ``total``.
        Equal digests: nothing worth sending changed.  Free space, which
        moves with every write to a file system, is not kept and so not
        hashed; a smaller move of ``max_volume`` goes with the next
        change or full report."""
        capacity = self.capacity
        kept = [self.pool, self.driver, capacity.total, capacity.step,
                capacity.max_volume // max(1, capacity.total // 100),
                [[v.name, v.size, v.managed] for v in self.volumes]]
        text = json.dumps(kept)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclasses.dataclass(frozen=True)
class NodeReport:
    """What one node holds, at one moment of its clock."""

    host: str
    taken_at: float
    """Seconds since the epoch, by the node's clock, before it listed its
    pools: anything the inventory recorded before this (give or take
    clock skew) should be in the report."""
    pools: tuple[PoolReport, ...]
    """:class:`PoolReport` objects, in the node's pool order."""
    complete: bool = True
    """True if every pool of the node is in it; False for an incremental
    report of the pools that changed."""
    broken: tuple[tuple[str, str], ...] = ()
    """``(pool, error message)`` for pools the node could not read."""

    def to_primitive(self) -> dict[str, Any]:
        return {'format': FORMAT, 'host': self.host,
                'taken_at': self.taken_at, 'complete': self.complete,
                'pools': [_pool_primitive(pool) for pool in self.pools],
                'broken': [list(item) for item in self.broken]}

    @classmethod
    def from_primitive(cls, data: Any) -> 'NodeReport':
        """Rebuild a report sent over the wire.

        :raises brick.exception.InvalidValue: a field is missing or of
            the wrong type, or the format is unknown.
        :raises brick.exception.InvalidName: a bad host, pool or volume
            name.
        """
        _require(isinstance(data, dict), 'node report', data, 'a dict')
        version = data.get('format')
        _require(version == FORMAT, 'node report format', version,
                 '%d (this brick); upgrade the older side' % FORMAT)
        host = names.validate(data.get('host'), 'host name of node report')
        what = 'node report of %s' % host
        taken_at = data.get('taken_at')
        _require(isinstance(taken_at, int | float) and not isinstance(
            taken_at, bool) and taken_at > 0, 'taken_at of ' + what,
            taken_at, 'seconds since the epoch')
        pools = data.get('pools')
        _require(isinstance(pools, list), 'pools of ' + what, pools,
                 'a list')
        broken = data.get('broken', [])
        _require(isinstance(broken, list) and all(
            isinstance(item, list) and len(item) == 2 and all(
                isinstance(part, str) for part in item) for item in broken),
            'broken pools of ' + what, broken, 'a list of [pool, message]')
        return cls(host, float(taken_at),
                   tuple(_pool_from(item, what) for item in pools),
                   bool(data.get('complete', True)),
                   tuple((pool, message) for pool, message in broken))


def take(host: str, drivers: dict[str, Any],
         pools: Iterable[str] | None = None,
         now: float | None = None) -> NodeReport:
    """Report the pools *pools* (default: all) of *drivers*
    ``{pool: VolumeDriver}``; a pool whose driver fails is listed in
    ``broken`` with the error, the others are still reported."""
    taken_at = now or time.time()
    wanted = list(drivers) if pools is None else list(pools)
    found, broken = [], []
    for pool in wanted:
        driver = drivers[pool]
        try:
            volumes = tuple(sorted(
                (VolumeEntry(v.name, v.size, v.managed)
                 for v in driver.list()), key=lambda v: v.name))
            found.append(PoolReport(pool, driver.name, driver.capacity(),
                                    volumes))
        except exception.BrickException as err:
            broken.append((pool, str(err)))
    return NodeReport(host, taken_at, tuple(found),
                      pools is None, tuple(broken))


def _require(ok: bool, field: str, value: object, allowed: str) -> None:
    if not ok:
        raise exception.InvalidValue(field=field, value=value,
                                     allowed=allowed)


def _pool_primitive(pool: PoolReport) -> dict[str, Any]:
    return {'pool': pool.pool, 'driver': pool.driver,
            'capacity': dataclasses.asdict(pool.capacity),
            'volumes': [[v.name, v.size, v.managed] for v in pool.volumes]}


def _size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and \
        value >= 0


def _pool_from(data: Any, what: str) -> PoolReport:
    _require(isinstance(data, dict), 'pool of ' + what, data, 'a dict')
    pool = names.validate(data.get('pool'), 'pool name of ' + what)
    what = 'pool %s of %s' % (pool, what)
    driver = names.validate(data.get('driver'), 'driver of ' + what)
    capacity = data.get('capacity')
    _require(isinstance(capacity, dict) and set(capacity) == set(
        _CAPACITY_FIELDS), 'capacity of ' + what, capacity,
        'a dict of %s' % ', '.join(_CAPACITY_FIELDS))
    for field in _CAPACITY_FIELDS:
        value = capacity[field]
        if field == 'allocation_ratio':
            ok = isinstance(value, int | float) and value >= 1
        else:
            ok = _size(value)
        _require(ok, '%s of %s' % (field, what), value,
                 'a number of at least 1' if field == 'allocation_ratio'
                 else 'an int of at least 0')
    volumes = data.get('volumes')
    _require(isinstance(volumes, list), 'volumes of ' + what, volumes,
             'a list of [name, size, managed]')
    entries: list[VolumeEntry] = []
    for item in volumes:
        # Names as found on disk: a file put there by hand need not be
        # a valid brick name; brick's own (managed) volumes are.
        _require(isinstance(item, list) and len(item) == 3 and isinstance(
            item[0], str) and 0 < len(item[0]) <= 255 and _size(item[1])
            and isinstance(item[2], bool), 'volume of ' + what, item,
            '[name of 1 to 255 characters, size in bytes, managed]')
        if item[2]:
            names.validate(item[0], 'managed volume name in ' + what)
        entries.append(VolumeEntry(*item))
    return PoolReport(pool, driver, volume_mod.CapacityReport(
        **capacity), tuple(sorted(entries, key=lambda v: v.name)))
