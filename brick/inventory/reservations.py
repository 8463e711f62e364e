# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Reservations: claimed space with an expiry, and what becomes of it.

:func:`claim` takes space atomically (how: :mod:`brick.inventory.claims`)
and records it as reservations; several volumes of one request are
reserved together or not at all.

**Life of a reservation** (``state``)::

    reserved --commit--> committed   (an allocation row now holds it)
        |------release-> released
        '------reap----> expired     (after expires_at)

Idempotent by id: committing a committed reservation returns its
allocation again; releasing a released, expired, committed or unknown
one changes nothing (a committed one keeps its allocation: free that
with :func:`brick.inventory.allocations.free`); committing a released or
expired one, or one past its expiry, raises
:class:`~brick.exception.ReservationExpired`; an unknown id,
:class:`~brick.exception.ReservationNotFound`.  A claim repeated with
the ``request_id`` of an earlier identical claim returns the earlier
reservations.  :func:`settle` commits some reservations and releases
others in one transaction (the end of a placement).  Finished
reservations are kept until :func:`purge`.

:func:`brick.inventory.allocations.check` recomputes every pool's
``used`` from the rows and :func:`~brick.inventory.allocations.reconcile`
repairs a mismatch (there should be none).
"""

import dataclasses
import datetime
import uuid
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from brick import exception
from brick.db import engine
from brick.db import models
from brick.inventory import allocations
from brick.inventory import claims

RESERVATIONS = models.reservations
ALLOCATIONS = models.allocations

# Built once: building a statement costs more than running it on SQLite.
_IDS: sa.BindParameter[str] = sa.bindparam('ids', expanding=True)
_LOCK_BY_IDS = sa.select(RESERVATIONS).where(RESERVATIONS.c.id.in_(
    _IDS)).order_by(RESERVATIONS.c.id).with_for_update()
_LOCK_BY_REQUEST = sa.select(RESERVATIONS).where(
    RESERVATIONS.c.request_id == sa.bindparam('request_id')).order_by(
        RESERVATIONS.c.id).with_for_update()
_LOCK_BY_REQUESTS = sa.select(RESERVATIONS).where(
    RESERVATIONS.c.request_id.in_(sa.bindparam(
        'requests', expanding=True))).order_by(
            RESERVATIONS.c.id).with_for_update()
_SET_STATE = RESERVATIONS.update().where(RESERVATIONS.c.id.in_(_IDS)).values(
    state=sa.bindparam('new_state'), finished_at=sa.bindparam('at'))
_ALLOCATED = sa.select(ALLOCATIONS.c.reservation_id).where(
    ALLOCATIONS.c.reservation_id.in_(_IDS))
_ALLOCATIONS_OF = sa.select(ALLOCATIONS).where(
    ALLOCATIONS.c.reservation_id.in_(_IDS)).order_by(
        ALLOCATIONS.c.reservation_id)
_ALLOCATE = ALLOCATIONS.insert()
Claim = claims.Claim
"""Re-exported: what :func:`claim` takes."""


@dataclasses.dataclass(frozen=True)
class Reservation:
    id: str
    request_id: str
    consumer: str
    pool_id: int
    size: int
    volume: str | None
    state: str
    expires_at: datetime.datetime
    created_at: datetime.datetime


def _reservation(row: engine.Row) -> Reservation:
    return Reservation(row.id, row.request_id, row.consumer, row.pool_id,
                       row.size, row.volume, row.state, row.expires_at,
                       row.created_at)


def claim(db: engine.Database, consumer: str,
          items: Iterable[claims.Item], request_id: str | None = None,
          ttl: float | None = None, stats: engine.RetryStats | None = None,
          repeat: bool = True) -> list[Reservation]:
    """Reserve space for one or more volumes, all or nothing.

    :param db: a :class:`~brick.db.engine.Database`.
    :param consumer: instance or volume id the space is for.
    :param items: :class:`~brick.inventory.claims.Claim` objects or
        ``(pool_id, size[, volume])`` tuples; sizes in int bytes.
    :param request_id: groups the reservations for :func:`commit` and
        :func:`release`; pass the id of an earlier claim to repeat it
        idempotently.  Default: a new UUID.
    :param repeat: False when the caller knows *request_id* was never
        used (an id derived from a new flow): no look for an earlier
        claim, one query less.
    :param ttl: seconds until expiry; default ``db.reservation_ttl``.
    :param stats: a :class:`~brick.db.engine.RetryStats` to count into.
    :returns: the :class:`Reservation` list, in the order of *items*.
    :raises brick.exception.InvalidInput: bad argument, or a size that
        breaks the pool's min_unit, max_unit or step.
    :raises brick.exception.PoolNotFound: no such pool.
    :raises brick.exception.PoolUnavailable: the pool is disabled.
    :raises brick.exception.InsufficientCapacity: a pool is full.
    :raises brick.exception.ConcurrentUpdate: conflicts outlasted the
        retries.
    """
    ttl = db.reservation_ttl if ttl is None else ttl
    checked = claims.check(items, consumer, request_id, ttl)
    plan = claims.per_pool(checked)
    given_id = request_id
    request_id = request_id or str(uuid.uuid4())
    repeat = repeat and given_id is not None
    one_statement = db.backend == 'postgresql' and len(checked) == 1 and \
        not repeat

    def work(conn: sa.Connection) -> list[Reservation]:
        if repeat:  # so request_id is the one given
            found = claims.earlier(conn, request_id, consumer, checked)
            if found is not None:
                return [_reservation(row) for row in found]
        now = engine.utcnow()
        new = claims.rows(checked, consumer, request_id, now, ttl)
        if one_statement:
            claims.take_and_insert(conn, plan, new[0])
        else:
            claims.take(conn, plan, now)
            conn.execute(RESERVATIONS.insert(), new)
        return [Reservation(**{field.name: row[field.name]
                               for field in dataclasses.fields(Reservation)})
                for row in new]
    return _retrying(db, work, plan, checked, stats, one_statement)


def _retrying(db: engine.Database,
              work: Callable[[sa.Connection], list[Reservation]],
              plan: claims.Plan, checked: Sequence[claims.Claim],
              stats: engine.RetryStats | None, autocommit: bool
              ) -> list[Reservation]:
    """Run *work* until it takes the space or fails for good: a full
    pool is diagnosed, and reaped and retried once if that freed room."""
    reaped = False
    what = 'claim on pools %s' % ', '.join(str(pool_id)
                                           for pool_id, _ in plan)
    for _ in range(db.claim_retries + 2):
        try:
            return db.run(what, work, stats, autocommit=autocommit)
        except claims.Full as full:
            try:
                claims.diagnose(db, full.pool_id, checked)
            except exception.InsufficientCapacity as err:
                if reaped or isinstance(err, exception.PoolUnavailable) or \
                        not reap(db, pool_ids=[full.pool_id]):
                    raise
                reaped = True
            except claims.Retry:
                if stats is not None:
                    stats.conflicts += 1
    raise exception.ConcurrentUpdate(
        what=what, attempts=db.claim_retries + 2,
        reason='pool usage kept changing between attempts')


def _select(ids: str | Iterable[str] | None,
            request_id: str | Iterable[str] | None
            ) -> tuple[sa.Executable, dict[str, Any], list[str] | None]:
    """``(locking query, its parameters, the ids wanted or None)``;
    *request_id* may be a list of request ids."""
    if (ids is None) == (request_id is None):
        raise exception.InvalidInput(reason='give reservation ids or a '
                                     'request id, not both or neither')
    if ids is not None:
        ids = [ids] if isinstance(ids, str) else list(ids)
        return _LOCK_BY_IDS, {'ids': ids}, ids
    assert request_id is not None  # one of the two, checked above
    if not isinstance(request_id, str):
        return _LOCK_BY_REQUESTS, {'requests': list(request_id)}, None
    return _LOCK_BY_REQUEST, {'request_id': request_id}, None


def commit(db: engine.Database, ids: str | Iterable[str] | None = None,
           request_id: str | None = None) -> list[allocations.Allocation]:
    """Turn reservations into allocations (see the module docstring).

    :param ids: a reservation id or a list of them...
    :param request_id: ...or every reservation of one claim.
    :returns: the :class:`~brick.inventory.allocations.Allocation` list,
        ordered by reservation id.
    :raises brick.exception.ReservationNotFound: an unknown id, or no
        reservation for *request_id*.
    :raises brick.exception.ReservationExpired: one was released,
        expired or is past its expiry; nothing is committed.
    """
    query, params, wanted = _select(ids, request_id)

    def work(conn: sa.Connection) -> list[allocations.Allocation]:
        rows = conn.execute(query, params).all()
        return _commit(conn, rows, wanted, request_id, engine.utcnow())
    return db.run('commit of %s' % (request_id or ids), work)


def _commit(conn: sa.Connection, rows: Sequence[engine.Row],
            wanted: Iterable[str] | None, request_id: str | None,
            now: datetime.datetime) -> list[allocations.Allocation]:
    """Commit the reservations *rows* (locked), of ids *wanted* or of
    *request_id*; returns their allocations (see :func:`commit`)."""
    found = {row.id for row in rows}
    missing = sorted(set(wanted or ()) - found)
    done = {row.reservation_id for row in conn.execute(
        _ALLOCATED, {'ids': missing})} if missing else ()
    for rid in missing:
        if rid not in done:  # committed, then purged, is still fine
            raise exception.ReservationNotFound(
                id=rid, reason='never made, or released and purged')
    if not rows and not missing:
        raise exception.ReservationNotFound(
            id=request_id, reason='no reservation has this request id')
    todo: list[engine.Row] = []
    for row in rows:
        if row.state == 'committed':
            continue
        if row.state != 'reserved' or row.expires_at <= now:
            state = row.state if row.state != 'reserved' else \
                'past its expiry at %s' % row.expires_at.isoformat()
            raise exception.ReservationExpired(id=row.id, state=state)
        todo.append(row)
    if todo:
        conn.execute(_SET_STATE, {'ids': [row.id for row in todo],
                                  'new_state': 'committed', 'at': now})
        conn.execute(_ALLOCATE, [
            {'consumer': row.consumer, 'pool_id': row.pool_id,
             'size': row.size, 'volume': row.volume,
             'reservation_id': row.id, 'created_at': now}
            for row in todo])
    return [allocations.from_row(row) for row in conn.execute(
        _ALLOCATIONS_OF, {'ids': sorted(found | set(missing))})]


def _finish(conn: sa.Connection, rows: Sequence[engine.Row], state: str,
            now: datetime.datetime) -> list[str]:
    """Move live reservations *rows* (locked) to *state*, freeing their
    space; returns their ids."""
    live = [row for row in rows if row.state == 'reserved']
    if not live:
        return []
    conn.execute(_SET_STATE, {'ids': [row.id for row in live],
                              'new_state': state, 'at': now})
    allocations.give_back(conn, live, now)
    return [row.id for row in live]


def release(db: engine.Database, ids: str | Iterable[str] | None = None,
            request_id: str | Iterable[str] | None = None) -> int:
    """Free reservations that were not committed.

    Releasing a released, expired, committed or unknown reservation
    changes nothing.

    :param ids: a reservation id or a list of them...
    :param request_id: ...or every reservation of one claim, or of
        each request id in a list.

    :returns: how many reservations this call released.
    """
    query, params, _ = _select(ids, request_id)

    def work(conn: sa.Connection) -> int:
        rows = conn.execute(query, params).all()
        return len(_finish(conn, rows, 'released', engine.utcnow()))
    return db.run('release of %s' % (request_id or ids), work)


@dataclasses.dataclass(frozen=True)
class Settlement:
    """What :func:`settle` did."""

    allocations: list[allocations.Allocation]
    """The committed reservations' allocations, ordered by reservation
    id (as :func:`commit` returns them)."""
    released: list[str]
    """The ids of the reservations this call released."""


def _id_list(field: str, ids: Iterable[str]) -> list[str]:
    if isinstance(ids, str) or not all(
            isinstance(one, str) and one for one in ids):
        raise exception.InvalidValue(
            field=field, value=ids,
            allowed='a list of reservation ids (non-empty strings)')
    return list(ids)


def settle(db: engine.Database, commit: Iterable[str],
           release: Iterable[str] = ()) -> Settlement:
    """Commit reservations and release others, in one transaction: the
    end of a placement (its chosen candidate committed, the others it
    reserved freed), in one round of locks and one commit instead of
    one per call.

    Each id behaves as in :func:`commit` and :func:`release`, so
    settling again is harmless; if the commit fails, nothing is
    released either.

    :param commit: reservation ids to commit (at least one).
    :param release: reservation ids to release.
    :returns: a :class:`Settlement`.
    :raises brick.exception.InvalidValue: not lists of ids, no id to
        commit, or an id in both lists.
    :raises brick.exception.ReservationNotFound: an unknown id to commit.
    :raises brick.exception.ReservationExpired: one to commit was
        released, expired or is past its expiry.
    """
    commit = _id_list('reservation ids to commit', commit)
    release = _id_list('reservation ids to release', release)
    if not commit:
        raise exception.InvalidValue(
            field='reservation ids to commit', value=commit,
            allowed='at least one id')
    both = sorted(set(commit) & set(release))
    if both:
        raise exception.InvalidValue(
            field='reservation ids to commit and release', value=both,
            allowed='each id in one list only')
    to_commit = set(commit)

    def work(conn: sa.Connection) -> Settlement:
        now = engine.utcnow()
        rows = conn.execute(_LOCK_BY_IDS, {'ids': commit + release}).all()
        made = _commit(conn, [row for row in rows if row.id in to_commit],
                       commit, None, now)
        freed = _finish(conn, [row for row in rows
                               if row.id not in to_commit], 'released', now)
        return Settlement(made, freed)
    return db.run('settling of %s' % commit, work)


def reap(db: engine.Database, now: datetime.datetime | None = None,
         pool_ids: Iterable[int] | None = None, batch: int = 500) -> int:
    """Expire every reservation past its ``expires_at``, freeing its space.

    Runs in transactions of at most *batch* reservations; concurrent
    reapers skip rows another one holds (PostgreSQL, MariaDB).

    :param now: the time to compare with (default: now, UTC).
    :param pool_ids: only these pools.
    :returns: how many reservations expired.
    """
    query = sa.select(RESERVATIONS).where(
        RESERVATIONS.c.state == 'reserved',
        RESERVATIONS.c.expires_at <= sa.bindparam('now'))
    if pool_ids is not None:
        query = query.where(RESERVATIONS.c.pool_id.in_(list(pool_ids)))
    query = query.order_by(RESERVATIONS.c.id).limit(batch).with_for_update(
        skip_locked=db.backend != 'sqlite')
    total = 0
    while True:
        def work(conn: sa.Connection) -> tuple[int, int]:
            at = now or engine.utcnow()
            rows = conn.execute(query, {'now': at}).all()
            return len(rows), len(_finish(conn, rows, 'expired', at))
        seen, done = db.run('reaping reservations', work)
        total += done
        if seen < batch:
            return total


def purge(db: engine.Database, older_than: float = 86400) -> int:
    """Delete finished reservations older than *older_than* seconds.

    Their allocations stay; committing a purged, committed reservation
    still returns its allocation.

    :returns: how many rows were deleted.
    """
    cutoff = engine.utcnow() - datetime.timedelta(seconds=older_than)
    return db.run('purge', lambda conn: conn.execute(
        RESERVATIONS.delete().where(
            RESERVATIONS.c.state != 'reserved',
            RESERVATIONS.c.finished_at < cutoff)).rowcount)


def list_reservations(db: engine.Database, consumer: str | None = None,
                      request_id: str | None = None,
                      pool_id: int | None = None, state: str | None = None
                      ) -> list[Reservation]:
    """Reservations matching every given filter, oldest first."""
    query = sa.select(RESERVATIONS).order_by(RESERVATIONS.c.created_at,
                                             RESERVATIONS.c.id)
    for column, value in (('consumer', consumer), ('request_id', request_id),
                          ('pool_id', pool_id), ('state', state)):
        if value is not None:
            query = query.where(RESERVATIONS.c[column] == value)
    return db.run('reservations', lambda conn: [
        _reservation(row) for row in conn.execute(query)], readonly=True)
