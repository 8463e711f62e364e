# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Operations on placed volumes: find their pool and node, grow them
with a claim, delete them and free their allocations."""


from typing import TYPE_CHECKING

from brick import exception
from brick import names
from brick.db import engine
from brick.inventory import allocations
from brick.inventory import hosts
from brick.inventory import pools
from brick.inventory import reservations
from brick.node import base
from brick.node import directory

if TYPE_CHECKING:  # annotations only: no import at run time
    from brick.drivers import volume as volume_mod


def locate(db: engine.Database, volume: str
           ) -> tuple[pools.Pool, list[allocations.Allocation]]:
    """Return ``(pool, allocations)`` of placed volume *volume*.

    :raises brick.exception.VolumeNotFound: no allocation names it.
    """
    names.validate(volume, 'volume name')
    found = allocations.list_allocations(db, volume=volume)
    if not found:
        raise exception.VolumeNotFound(name=volume,
                                       pool='any placed by brick')
    return pools.get_pool(db, found[0].pool_id), found


def node_of(nodes: directory.Directory, pool: pools.Pool,
            db: engine.Database | None = None) -> base.Node:
    """The node that manages *pool*'s volumes: its host for a host pool,
    else any node serving a pool of that name: an in-process one, or
    (with a broker and *db*) the remote node of an ``enabled`` host of the
    pool's rack or zone that answers."""
    if pool.scope == 'host':
        return nodes.get(pool.owner)
    for node in nodes:
        if pool.name in node.pools():
            return node
    if nodes.remote is not None and db is not None:
        for host in hosts.list_hosts(db):
            place = host.place
            if host.state != 'enabled' or getattr(place, pool.scope) != \
                    pool.owner:
                continue
            node = nodes.get(host.name)
            try:
                if pool.name in node.pools():
                    return node
            except exception.BackendError:
                continue  # down or unreachable: try the next host
    raise exception.NotFound(what='a node serving shared pool %s' % pool.key)


def delete(db: engine.Database, nodes: directory.Directory,
           volume: str) -> int:
    """Delete *volume* on its node, then free its allocations.

    :returns: the bytes freed.
    """
    pool, found = locate(db, volume)
    node_of(nodes, pool, db).delete_volume(pool.name, volume)
    return allocations.free(db, ids=[a.id for a in found])


def extend(db: engine.Database, nodes: directory.Directory, volume: str,
           size: int) -> 'volume_mod.Volume':
    """Grow *volume* to *size* bytes: claim the difference in its pool,
    grow it on the node, commit (or release if the node failed).

    :returns: the grown :class:`~brick.drivers.volume.Volume`.
    :raises brick.exception.InsufficientCapacity: the pool is full.
    """
    pool, found = locate(db, volume)
    node = node_of(nodes, pool, db)
    delta = size - sum(a.size for a in found)
    if delta <= 0:
        return node.extend_volume(pool.name, volume, size)
    claimed = reservations.claim(db, found[0].consumer,
                                 [(pool.id, delta, volume)])
    ids = [r.id for r in claimed]
    try:
        grown = node.extend_volume(pool.name, volume, size)
    except Exception:
        reservations.release(db, ids=ids)
        raise
    reservations.commit(db, ids=ids)
    return grown


def snapshot(db: engine.Database, nodes: directory.Directory,
             volume: str, name: str) -> 'volume_mod.Snapshot':
    """Take snapshot *name* of *volume* on its node."""
    pool, _found = locate(db, volume)
    return node_of(nodes, pool, db).snapshot_volume(pool.name, volume, name)
