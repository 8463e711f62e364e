# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Allocations (committed reservations), freeing them, and the check of
every pool's ``used`` counter against the rows it sums up.

``used`` is kept in the pool row so that a claim is one conditional
UPDATE (:mod:`brick.inventory.reservations`).  It must always equal the
pool's allocations plus its reservations in state ``reserved``;
:func:`check` recomputes that sum, :func:`reconcile` repairs a pool
that differs (a bug or a hand edit; the tests assert there is none).
"""

import dataclasses
import datetime
from collections.abc import Iterable
from collections.abc import Sequence

import sqlalchemy as sa

from brick import exception
from brick.db import engine
from brick.db import models

POOLS = models.pools
RESERVATIONS = models.reservations
ALLOCATIONS = models.allocations

_GIVE_BACK = POOLS.update().where(POOLS.c.id == sa.bindparam('pool')).values(
    used=POOLS.c.used - sa.bindparam('n', type_=sa.BigInteger),
    generation=POOLS.c.generation + 1, updated_at=sa.bindparam('now'))


@dataclasses.dataclass(frozen=True)
class Allocation:
    id: int
    consumer: str
    pool_id: int
    size: int
    volume: str | None
    reservation_id: str | None
    """The reservation it was committed from."""
    created_at: datetime.datetime


@dataclasses.dataclass(frozen=True)
class Mismatch:
    """A pool whose ``used`` is not what its rows add up to."""

    pool_id: int
    stored: int
    actual: int


def from_row(row: engine.Row) -> Allocation:
    return Allocation(row.id, row.consumer, row.pool_id, row.size,
                      row.volume, row.reservation_id, row.created_at)


def give_back(conn: sa.Connection, rows: Iterable[engine.Row],
              now: datetime.datetime) -> int:
    """Lower ``used`` of the pools of *rows* (allocations or reservations)
    by their sizes, in pool id order (the order claims lock pools in).

    :returns: the number of bytes given back.
    """
    per_pool: dict[int, int] = {}
    for row in rows:
        per_pool[row.pool_id] = per_pool.get(row.pool_id, 0) + row.size
    for pool_id in sorted(per_pool):
        conn.execute(_GIVE_BACK, {'pool': pool_id, 'n': per_pool[pool_id],
                                  'now': now})
    return sum(per_pool.values())


def free(db: engine.Database, consumer: str | None = None,
         ids: Iterable[int] | None = None) -> int:
    """Delete allocations (the volume is gone) and free their space.

    Idempotent: freeing what is already gone frees nothing.

    :param consumer: every allocation of this consumer...
    :param ids: ...or these allocation ids.
    :returns: the number of bytes freed.
    """
    if (consumer is None) == (ids is None):
        raise exception.InvalidInput(reason='give a consumer or allocation '
                                     'ids, not both or neither')
    where = ALLOCATIONS.c.consumer == consumer if consumer is not None \
        else ALLOCATIONS.c.id.in_(list(ids or ()))

    def work(conn: sa.Connection) -> int:
        rows = conn.execute(sa.select(ALLOCATIONS).where(where).order_by(
            ALLOCATIONS.c.id).with_for_update()).all()
        if not rows:
            return 0
        conn.execute(ALLOCATIONS.delete().where(
            ALLOCATIONS.c.id.in_([row.id for row in rows])))
        return give_back(conn, rows, engine.utcnow())
    return db.run('allocations of %s' % (consumer or ids), work)


def list_allocations(db: engine.Database, consumer: str | None = None,
                     pool_id: int | None = None, volume: str | None = None
                     ) -> list[Allocation]:
    """Allocations matching every given filter, by id."""
    query = sa.select(ALLOCATIONS).order_by(ALLOCATIONS.c.id)
    if consumer is not None:
        query = query.where(ALLOCATIONS.c.consumer == consumer)
    if pool_id is not None:
        query = query.where(ALLOCATIONS.c.pool_id == pool_id)
    if volume is not None:
        query = query.where(ALLOCATIONS.c.volume == volume)
    return db.run('allocations', lambda conn: [
        from_row(row) for row in conn.execute(query)], readonly=True)

_CHUNK = 500


def volume_counts(conn: sa.Connection,
                  pool_ids: Sequence[int] | None = None) -> dict[int, int]:
    """``{pool id: allocations + live reservations}``."""
    counts: dict[int, int] = {}
    tables: tuple[tuple[sa.Table, sa.ColumnElement[bool] | None], ...] = (
        (ALLOCATIONS, None),
              (RESERVATIONS, RESERVATIONS.c.state
               == 'reserved'))
    chunks: list[Sequence[int] | None] = [None] if pool_ids is None else [
        pool_ids[i:i + _CHUNK] for i in range(0, len(pool_ids), _CHUNK)]
    for table, condition in tables:
        for chunk in chunks:
            query = sa.select(table.c.pool_id, sa.func.count()).group_by(
                table.c.pool_id)
            if condition is not None:
                query = query.where(condition)
            if chunk is not None:
                query = query.where(table.c.pool_id.in_(chunk))
            for pool_id, count in conn.execute(query):
                counts[pool_id] = counts.get(pool_id, 0) + count
    return counts


def pools_holding(db: engine.Database, name: str) -> list[int]:
    """Ids of the pools holding volume *name*, or allocations or live
    reservations of consumer *name*, sorted."""
    def work(conn: sa.Connection) -> list[int]:
        ids: set[int] = set()
        for table, condition in (
                (ALLOCATIONS, sa.true()),
                (RESERVATIONS, RESERVATIONS.c.state == 'reserved')):
            ids.update(conn.scalars(sa.select(table.c.pool_id).where(
                condition, sa.or_(table.c.volume == name,
                                  table.c.consumer == name))))
        return sorted(ids)
    return db.run('locate %s' % name, work, readonly=True)



def _actual() -> sa.Label[int]:
    # One statement, so one snapshot: a commit moving bytes from a
    # reservation to an allocation is seen entirely or not at all.
    allocated = sa.select(sa.func.coalesce(sa.func.sum(ALLOCATIONS.c.size),
                                           0)).where(
        ALLOCATIONS.c.pool_id == POOLS.c.id).scalar_subquery()
    reserved = sa.select(sa.func.coalesce(sa.func.sum(RESERVATIONS.c.size),
                                          0)).where(
        RESERVATIONS.c.pool_id == POOLS.c.id,
        RESERVATIONS.c.state == 'reserved').scalar_subquery()
    return (allocated + reserved).label('actual')


def check(db: engine.Database) -> list[Mismatch]:
    """Recompute every pool's usage from its rows.

    :returns: a :class:`Mismatch` per pool whose ``used`` differs; an
        empty list when all is well.
    """
    query = sa.select(POOLS.c.id, POOLS.c.used, _actual()).order_by(
        POOLS.c.id)
    rows = db.run('usage check', lambda conn: conn.execute(query).all(),
                  readonly=True)
    return [Mismatch(row.id, row.used, int(row.actual)) for row in rows
            if row.used != int(row.actual)]


def reconcile(db: engine.Database) -> list[Mismatch]:
    """Set ``used`` to the recomputed usage where :func:`check` differs.

    Each pool is fixed in its own transaction with its row locked first,
    so claims and releases running meanwhile are neither lost nor
    counted twice.

    :returns: the :class:`Mismatch` list that was repaired.
    """
    fixed: list[Mismatch] = []
    for mismatch in check(db):
        def work(conn: sa.Connection, pool_id: int = mismatch.pool_id
                 ) -> Mismatch | None:
            locked = conn.execute(sa.select(POOLS.c.id).where(
                POOLS.c.id == pool_id).with_for_update()).first()
            if locked is None:
                return None
            row = conn.execute(sa.select(POOLS.c.used, _actual()).where(
                POOLS.c.id == pool_id)).one()
            if row.used == int(row.actual):
                return None
            conn.execute(POOLS.update().where(POOLS.c.id == pool_id).values(
                used=int(row.actual), generation=POOLS.c.generation + 1,
                updated_at=engine.utcnow()))
            return Mismatch(pool_id, row.used, int(row.actual))
        result = db.run('usage of pool %s' % mismatch.pool_id, work)
        if result is not None:
            fixed.append(result)
    return fixed
