# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Taking pool capacity atomically: the claim.

**The claim.**  A pool row carries ``used`` (allocations plus
reservations not yet released, committed or reaped).  A claim of ``n``
bytes is one statement that checks and takes the space at once::

    UPDATE pools SET used = used + :n, generation = generation + 1,
                     updated_at = :now
     WHERE id = :pool AND state = 'enabled'
       AND used + unmanaged + :n <= capacity
       AND min_unit <= :smallest AND (max_unit IS NULL OR ...)
       AND (max_volume IS NULL OR :largest <= max_volume)
       AND :gcd % step = 0

followed, in the same transaction, by the INSERT of the reservation
rows.  One row updated means the space was free and is now taken; zero
means it was not, and nothing was written.  There is no read before the
write, so there is no window between checking and taking.  Concurrent
claims on one pool queue on its row lock; the database re-evaluates the
WHERE clause on the row as the previous writer committed it (PostgreSQL
under READ COMMITTED re-checks the updated row, InnoDB's UPDATE is a
locking read of the latest version, SQLite lets one writer in at a
time; see :mod:`brick.db.engine`).  So this beats Placement's
generation compare-and-swap under contention: writers on a hot pool
wait for each other instead of failing and retrying, and a retry is
needed only for a deadlock or lock timeout.

Why a counter (``used``) rather than Placement's ``SUM(allocations)``
at every claim: the check and the take become one indexed single-row
UPDATE whose cost does not grow with the number of allocations, and the
database's row lock does the serializing.  The price is that every
writer of allocations and reservations must move ``used`` in the same
transaction (they all go through this package), and
:func:`brick.inventory.allocations.check` proves the counter against
the rows; the tests run it after every concurrent load.

On PostgreSQL a claim of one volume is ONE statement in autocommit:
``SELECT brick_claim_v1(...)``, a PL/pgSQL function (created by
migration 0005) whose body is :data:`TAKE_AND_INSERT`, ``WITH taken AS
(UPDATE ... RETURNING id) INSERT INTO reservations ... SELECT ... FROM
taken``: one round trip instead of four (BEGIN, UPDATE, INSERT, COMMIT),
atomic because a statement is.  PL/pgSQL plans the statement once per
server connection, as a prepared statement would, without a client's
session: it works through a pooler in transaction mode (pgbouncer), where
a ``PREPARE`` belongs to whichever server connection ran it, and
PostgreSQL re-plans it by itself after a schema change, where a
prepared statement is refused until the processes restart.
``python -m bench claims`` compares it with the plain statement, directly
and through a throwaway pgbouncer.

A claim of several volumes (one request, one ``request_id``) updates its
pools in ascending pool id order, so two requests never wait on each
other in a cycle, and rolls back if any pool says no: all or nothing.

**Failures.**  A full pool is final for that pool
(:class:`~brick.exception.InsufficientCapacity`): try another.  A
deadlock or lock timeout is retried in a *fresh* transaction, up to
``[brick_database]claim_retries`` times, then raises
:class:`~brick.exception.ConcurrentUpdate`.  Before giving up on a full
pool, its expired reservations are reaped (they still count in ``used``
until then) and the claim is tried once more.

:func:`brick.inventory.reservations.claim` runs this; the pieces are
here.
"""

import dataclasses
import datetime
import math
import uuid
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import TYPE_CHECKING
from typing import Any
from typing import NoReturn
from typing import TypeAlias

import sqlalchemy as sa

from brick import exception
from brick import names
from brick import units
from brick.db import models
from brick.inventory import pools as pools_mod

if TYPE_CHECKING:  # annotations only: no import at run time
    from brick.db import engine

POOLS = models.pools
RESERVATIONS = models.reservations


@dataclasses.dataclass(frozen=True)
class Claim:
    """One volume's worth of a claim."""

    pool_id: int
    size: int
    volume: str | None = None


class Full(Exception):
    """A pool refused (raised inside the claim's transaction, which rolls
    back)."""

    def __init__(self, pool_id: int) -> None:
        super().__init__(pool_id)
        self.pool_id = pool_id


class Retry(Exception):
    """The diagnosis found room after all: claim again."""


Item: TypeAlias = (Claim | tuple[int, int]
                   | tuple[int, int, str | None])
"""What a claim takes per volume: a :class:`Claim` or its fields."""

Plan: TypeAlias = Sequence[tuple[int, Mapping[str, int]]]
"""``[(pool_id, params of TAKE)]``, as :func:`per_pool` returns it."""


_N = sa.bindparam('n', type_=sa.BigInteger)
_LARGEST = sa.bindparam('largest', type_=sa.BigInteger)
TAKE = POOLS.update().where(
    POOLS.c.id == sa.bindparam('pool'),
    POOLS.c.state == 'enabled',
    POOLS.c.used + POOLS.c.unmanaged + _N <= POOLS.c.capacity,
    POOLS.c.min_unit <= sa.bindparam('smallest', type_=sa.BigInteger),
    sa.or_(POOLS.c.max_unit.is_(None), POOLS.c.max_unit >= _LARGEST),
    sa.or_(POOLS.c.max_volume.is_(None), POOLS.c.max_volume >= _LARGEST),
    sa.bindparam('gcd', type_=sa.BigInteger) % POOLS.c.step == 0,
).values(used=POOLS.c.used + _N, generation=POOLS.c.generation + 1,
         updated_at=sa.bindparam('now'))
"""The conditional UPDATE; parameters from :func:`per_pool` and ``now``."""


def _take_and_insert() -> sa.Insert:
    taken = TAKE.returning(POOLS.c.id).cte('taken')
    return RESERVATIONS.insert().from_select(
        ['id', 'request_id', 'consumer', 'pool_id', 'size', 'volume',
         'state', 'expires_at', 'created_at'],
        # Bind names differ from column names: SQLAlchemy keeps those
        # for the statement's own VALUES.
        sa.select(sa.bindparam('rid', type_=sa.String),
                  sa.bindparam('request', type_=sa.String),
                  sa.bindparam('who', type_=sa.String),
                  taken.c.id, _N,
                  sa.bindparam('vol', type_=sa.String),
                  sa.literal('reserved', sa.String),
                  sa.bindparam('expires', type_=sa.DateTime),
                  sa.bindparam('now', type_=sa.DateTime)))


TAKE_AND_INSERT = _take_and_insert()
"""PostgreSQL: :data:`TAKE` and the INSERT of its one reservation as one
statement (the body of :data:`CLAIM_FUNCTION`).  The INSERT takes its
pool id from the UPDATE's RETURNING, so it inserts a row exactly when
the UPDATE took the space."""


def check(items: Iterable[Item], consumer: str, request_id: str | None,
          ttl: float) -> list[Claim]:
    """Check a claim's arguments; return its :class:`Claim` list.

    :raises brick.exception.InvalidInput: naming the bad argument.
    """
    if not isinstance(consumer, str) or not 0 < len(consumer) <= 255:
        raise exception.InvalidValue(field='consumer', value=consumer,
                                     allowed='a string of 1 to 255 '
                                     'characters')
    if request_id is not None and (not isinstance(request_id, str) or
                                   not 0 < len(request_id) <= 36):
        raise exception.InvalidValue(field='request_id', value=request_id,
                                     allowed='a string of 1 to 36 '
                                     'characters, e.g. a UUID')
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or \
            not 0 < ttl < 10 ** 8:
        raise exception.InvalidValue(field='ttl', value=ttl,
                                     allowed='seconds, above 0')
    claims = [item if isinstance(item, Claim) else Claim(*item)
              for item in items]
    if not claims:
        raise exception.InvalidInput(reason='a claim needs at least one '
                                     'volume')
    for index, item in enumerate(claims):
        if isinstance(item.pool_id, bool) or not isinstance(item.pool_id,
                                                            int):
            raise exception.InvalidValue(field='pool_id of claim %d' % index,
                                         value=item.pool_id,
                                         allowed='a pool id (int)')
        units.validate(item.size, 'size of claim %d' % index)
        if item.volume is not None:
            names.validate(item.volume, 'volume of claim %d' % index)
    return claims


def per_pool(claims: Iterable[Claim]) -> list[tuple[int, dict[str, int]]]:
    """``[(pool_id, params of TAKE)]`` sorted by pool id: the lock order
    that keeps claims from deadlocking each other.  Sizes in one pool
    are summed; the step rule holds for all of them iff it holds for
    their gcd."""
    grouped: dict[int, list[int]] = {}
    for item in claims:
        grouped.setdefault(item.pool_id, []).append(item.size)
    return [(pool_id, {'pool': pool_id, 'n': sum(sizes),
                       'smallest': min(sizes), 'largest': max(sizes),
                       'gcd': math.gcd(*sizes)})
            for pool_id, sizes in sorted(grouped.items())]


def rows(claims: Iterable[Claim], consumer: str, request_id: str,
         now: datetime.datetime, ttl: float) -> list[dict[str, Any]]:
    """The reservation rows a claim inserts, in the order of *claims*."""
    expires = now + datetime.timedelta(seconds=ttl)
    return [{'id': str(uuid.uuid4()), 'request_id': request_id,
             'consumer': consumer, 'pool_id': item.pool_id,
             'size': item.size, 'volume': item.volume, 'state': 'reserved',
             'expires_at': expires, 'created_at': now, 'finished_at': None}
            for item in claims]


def take(conn: sa.Connection, plan: Plan, now: datetime.datetime) -> None:
    """Run :data:`TAKE` for each pool of *plan* (:func:`per_pool`).

    :raises Full: a pool refused; the caller's transaction must roll back.
    """
    for pool_id, params in plan:
        if conn.execute(TAKE, dict(params, now=now)).rowcount != 1:
            raise Full(pool_id)


CLAIM_FUNCTION = 'brick_claim_v1'
"""The PostgreSQL function of :data:`TAKE_AND_INSERT` (migration 0005)."""
_CALL_ARGS = ('pool', 'n', 'smallest', 'largest', 'gcd', 'now', 'rid',
              'request', 'who', 'vol', 'expires')
CLAIM_ONE = 'SELECT %s(%s)' % (CLAIM_FUNCTION,
                               ', '.join(['%s'] * len(_CALL_ARGS)))
"""``SELECT brick_claim_v1(...)``: how many reservations it inserted;
sent to the driver as it is (psycopg2's placeholders), since a call with
positional values needs none of SQLAlchemy's statement handling."""


def insert_values(params: Mapping[str, int], row: Mapping[str, Any]
                  ) -> dict[str, Any]:
    """The parameters of :data:`TAKE_AND_INSERT` (and the arguments of
    :data:`CLAIM_FUNCTION`, by name): *params* of :data:`TAKE` for the
    pool, and the reservation *row* (of :func:`rows`) under its bind
    names."""
    return dict(params, now=row['created_at'], rid=row['id'],
                request=row['request_id'], who=row['consumer'],
                vol=row['volume'], expires=row['expires_at'])


def take_and_insert(conn: sa.Connection, plan: Plan,
                    row: Mapping[str, Any]) -> None:
    """PostgreSQL, one volume: :data:`TAKE_AND_INSERT` in autocommit,
    through :data:`CLAIM_FUNCTION` (see the module docstring).

    :raises Full: the pool refused; nothing was written.
    """
    ((pool_id, params),) = plan
    values = insert_values(params, row)
    found = conn.exec_driver_sql(CLAIM_ONE, tuple(
        values[name] for name in _CALL_ARGS)).scalar()
    if found != 1:
        raise Full(pool_id)


def earlier(conn: sa.Connection, request_id: str, consumer: str,
            claims: Iterable[Claim]) -> 'Sequence[engine.Row] | None':
    """The rows of an earlier claim with *request_id*, or None.

    :raises brick.exception.Conflict: that claim was for other volumes
        or another consumer.
    """
    found = conn.execute(sa.select(RESERVATIONS).where(
        RESERVATIONS.c.request_id == request_id).order_by(
            RESERVATIONS.c.created_at, RESERVATIONS.c.id)).all()
    if not found:
        return None
    same = sorted((r.pool_id, r.size, r.volume or '') for r in found) == \
        sorted((c.pool_id, c.size, c.volume or '') for c in claims)
    if not same or any(row.consumer != consumer for row in found):
        raise exception.Conflict(
            reason='request %s already claimed other volumes or for '
                   'another consumer' % request_id)
    return found


def diagnose(db: 'engine.Database', pool_id: int, claims: Iterable[Claim]
             ) -> NoReturn:
    """Say why pool *pool_id* refused *claims*, reading it afresh.

    :raises brick.exception.PoolNotFound: no such pool.
    :raises brick.exception.PoolUnavailable: disabled.
    :raises brick.exception.InvalidSize: against min_unit, max_unit, step.
    :raises brick.exception.InsufficientCapacity: not enough room.
    :raises Retry: there is room now (it was freed meanwhile).
    """
    pool = pools_mod.get_pool(db, pool_id)
    if pool.state != 'enabled':
        raise exception.PoolUnavailable(pool=pool.key, reason='it is %s'
                                        % pool.state)
    sizes = [item.size for item in claims if item.pool_id == pool_id]
    for size in sizes:
        units.validate(size, 'size of a volume in pool %s' % pool.key,
                       step=pool.step, minimum=pool.min_unit,
                       maximum=pool.max_unit)
        if pool.max_volume is not None and size > pool.max_volume:
            raise exception.InsufficientCapacity(
                pool=pool.key, requested=size, available=pool.max_volume)
    if sum(sizes) > pool.free:
        raise exception.InsufficientCapacity(
            pool=pool.key, requested=sum(sizes), available=pool.free)
    raise Retry()
