# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Placement flow records: one logbook per flow, whose id is the flow's.

Written through taskflow's persistence interface
(:mod:`brick.workflow.backend`).  The flow detail's ``meta`` holds
taskflow's ``factory`` (how to rebuild the flow:
:func:`brick.workflow.flow.get_flow` and its arguments), brick's
``version`` of that flow (:data:`~brick.workflow.flow.VERSION`), the
``kind`` and ``consumer`` (for listings), the ``owner`` that started it
(:mod:`brick.workflow.ownership`) and, once finished and kept, its
``outcome``.
"""

import contextlib
import dataclasses
import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING

import sqlalchemy as sa
from oslo_serialization import jsonutils
from taskflow import engines
from taskflow import exceptions as tf_exceptions
from taskflow import states
from taskflow.persistence import models as tf_models

from brick import exception
from brick.db import engine as engine_mod
from brick.db import models
from brick.workflow import backend as backend_mod
from brick.workflow import flow as flow_mod

if TYPE_CHECKING:  # annotations only: no import at run time
    from brick.workflow import ownership

BOOK_NAME = 'brick-placement'
FINISHED = (states.SUCCESS, states.REVERTED, states.FAILURE)
"""Flow states with nothing left to do (FAILURE: a revert failed, or
the flow cannot be resumed; its record says why and is kept)."""

BOOKS = models.flow_books
FLOWS = models.flow_details
LEASES = models.flow_leases
_FLOW_ID = sa.bindparam('flow_id')
_PENDING = sa.select(
    FLOWS.c.uuid, FLOWS.c.meta, LEASES.c.owner,
    LEASES.c.flow_uuid.label('leased')).join(
        BOOKS, BOOKS.c.uuid == FLOWS.c.parent_uuid).outerjoin(
            LEASES, LEASES.c.flow_uuid == FLOWS.c.uuid).where(
                BOOKS.c.name == BOOK_NAME)
"""Brick's flows with their leases: what a :class:`Pending` is made of.
"""
_UNFINISHED = _PENDING.where(
    sa.or_(FLOWS.c.state.is_(None),
           FLOWS.c.state.not_in(FINISHED))).order_by(BOOKS.c.created_at)
_ONE_PENDING = _PENDING.where(FLOWS.c.uuid == _FLOW_ID,
                              BOOKS.c.uuid == _FLOW_ID)
_OUTCOME = sa.select(FLOWS.c.state, FLOWS.c.meta).where(
    FLOWS.c.uuid == _FLOW_ID)
_PURGE = BOOKS.delete().where(
    BOOKS.c.name == BOOK_NAME, BOOKS.c.created_at < sa.bindparam('before'),
    BOOKS.c.uuid.in_(sa.select(FLOWS.c.parent_uuid).where(
        FLOWS.c.state.in_(FINISHED))))


@dataclasses.dataclass
class Record:
    """One flow's record, as a run holds it."""

    book: tf_models.LogBook
    detail: tf_models.FlowDetail
    saved: bool
    """Whether it was written yet (a new flow is, at its first
    checkpoint)."""
    resumed: bool = False
    """Read back from the database (the run resumes it)."""
    written: dict = dataclasses.field(default_factory=dict)
    """``{atom uuid: signature}`` as last written (see :meth:`changed`).
    """

    def changed(self) -> list:
        """The atoms changed since they were last written; before the
        first write, the atoms the run touched (taskflow's engine makes
        the details of atoms still pending again when it resumes).

        taskflow's storage changes an atom by replacing its detail's
        attributes with those of a changed copy (new result, failure
        and meta objects, or a new state or intention), so comparing
        those (by identity for objects) finds every change without
        serializing anything."""
        if not self.saved:
            return [atom for atom in self.detail if not _untouched(atom)]
        return [atom for atom in self.detail
                if self.written.get(atom.uuid) != _signature(atom)]

    def mark_written(self, atoms) -> None:
        for atom in atoms:
            self.written[atom.uuid] = _signature(atom)

    @property
    def flow_id(self) -> str:
        return self.detail.uuid

    @property
    def meta(self) -> dict:
        return self.detail.meta


def _untouched(atom):
    return (atom.state in (None, states.PENDING) and atom.results is None
            and atom.failure is None and atom.intention == states.EXECUTE)


def _signature(atom):
    return (atom.state, atom.intention, id(atom.results), id(atom.failure),
            id(atom.revert_results), id(atom.revert_failure), id(atom.meta),
            atom.version)


@dataclasses.dataclass(frozen=True)
class Pending:
    """An unfinished flow as :meth:`FlowStore.unfinished` found it."""

    flow_id: str
    owner: str | None
    """The owner it was read with (``None``: let go)."""
    leased: bool
    """Whether it had been taken over before (a lease row)."""
    consumer: str | None


class FlowStore:
    """The flow records of one inventory database.

    :param db: the :class:`~brick.db.engine.Database`; its engine is
        shared.  brick's migrations create the tables.
    :param owner: this process's
        :class:`~brick.workflow.ownership.Owner`.
    """

    def __init__(self, db: engine_mod.Database,
                 owner: 'ownership.Owner') -> None:
        self.db = db
        self.owner = owner
        self.backend = backend_mod.Backend(db)

    @contextlib.contextmanager
    def connection(self):
        with contextlib.closing(self.backend.get_connection()) as conn:
            yield conn

    def new(self, flow_id: str, factory_kwargs: dict, consumer: str,
            owner: str | None = None) -> Record:
        """A new flow's record, in memory until :meth:`save`."""
        book = tf_models.LogBook(BOOK_NAME, uuid=flow_id)
        detail = tf_models.FlowDetail('brick-%s' % factory_kwargs['kind'],
                                      uuid=flow_id)
        engines.save_factory_details(detail, flow_mod.get_flow, [],
                                     factory_kwargs)
        detail.meta.update(version=flow_mod.VERSION,
                           kind=factory_kwargs['kind'], consumer=consumer,
                           owner=owner)
        book.add(detail)
        return Record(book, detail, saved=False)

    def save(self, record: Record) -> None:
        """Write *record* as it is now (one transaction): the flow and
        the atoms changed since the last write (taskflow's
        ``update_flow_details`` leaves the others as they are stored).
        """
        changed = record.changed()
        partial = tf_models.FlowDetail(record.detail.name,
                                       record.detail.uuid)
        partial.state = record.detail.state
        partial.meta = record.detail.meta
        for atom in changed:
            partial.add(atom)
        with self.connection() as conn:
            if not record.saved:
                book = tf_models.LogBook(record.book.name,
                                         uuid=record.book.uuid)
                book.add(partial)
                conn.save_logbook(book)
                record.saved = True
            else:
                conn.update_flow_details(partial)
        record.mark_written(changed)

    def load(self, flow_id: str) -> Record:
        """The record of flow *flow_id*.

        :raises brick.exception.FlowNotFound: no such flow.
        """
        try:
            with self.connection() as conn:
                book = conn.get_logbook(flow_id)
        except tf_exceptions.NotFound as err:
            raise exception.FlowNotFound(
                id=flow_id, reason='no record in %s' % self.db.safe_url) \
                from err
        except tf_exceptions.StorageFailure as err:
            raise exception.BackendError(reason=str(err)) from err
        details = list(book)
        if book.name != BOOK_NAME or len(details) != 1:
            raise exception.FlowNotFound(id=flow_id,
                                         reason='not a brick placement')
        record = Record(book, details[0], saved=True, resumed=True)
        record.mark_written(record.detail)
        return record

    def unfinished(self, running=()) -> list:
        """The :class:`Pending` flows this process may resume, oldest
        first: unfinished, and whose owner is not alive, or is this
        process but the flow does not run here (it stopped early).

        :param running: ids of the flows running in this process.
        """
        listed = self.db.run('listing unfinished flows', lambda conn: [
            _pending(row) for row in conn.execute(_UNFINISHED)],
            readonly=True)
        owners = self.owner.owners(one.owner for one in listed)
        me = self.owner.id
        found = []
        for one in listed:
            if one.owner == me:
                if one.flow_id in running:
                    continue
            elif one.owner in owners and owners[one.owner].alive:
                continue
            found.append(one)
        return found

    def take(self, pending: Pending) -> None:
        """Take *pending* over (see
        :meth:`~brick.workflow.ownership.Owner.take`).

        :raises brick.exception.FlowBusy: its owner is alive, or another
            process took it first.
        """
        self.owner.take(pending.flow_id, pending.owner, pending.leased)

    def pending(self, flow_id: str) -> Pending:
        """Flow *flow_id* as :meth:`unfinished` would list it, whoever
        owns it: one query for its owner and lease (:meth:`load` reads
        the whole record, which a resume does next).

        :raises brick.exception.FlowNotFound: no such brick placement.
        """
        row = self.db.run('reading the owner of flow %s' % flow_id,
                          lambda conn: conn.execute(
                              _ONE_PENDING, {'flow_id': flow_id}).first(),
                          readonly=True)
        if row is None:
            raise exception.FlowNotFound(
                id=flow_id, reason='no record in %s' % self.db.safe_url)
        return _pending(row)

    def finish(self, record: Record, outcome: dict, keep: bool) -> None:
        """A run ended: forget the record, or with *keep* write it with
        its *outcome* (``{'placement': ...}`` or ``{'error': ...}``)."""
        if keep:
            record.meta['outcome'] = outcome
            self.save(record)
        elif record.saved:
            self.destroy(record.flow_id)

    def fail(self, record: Record, error: exception.BrickException) -> None:
        """Record that *record* cannot go on (state FAILURE, the error
        as its outcome): it is listed no more, and kept."""
        record.detail.state = states.FAILURE
        self.finish(record, {'error': error_data(error)}, keep=True)

    def outcome(self, flow_id: str) -> dict | None:
        """The outcome of a finished flow whose record was kept; None
        while it runs (or if it never started).

        :raises brick.exception.FlowNotFound: no record.
        """
        row = self.db.run('reading flow %s' % flow_id, lambda conn: (
            conn.execute(_OUTCOME, {'flow_id': flow_id}).first()),
            readonly=True)
        if row is None:
            raise exception.FlowNotFound(
                id=flow_id, reason='no record in %s' % self.db.safe_url)
        meta = _meta(row.meta)
        if row.state in FINISHED and 'outcome' in meta:
            return meta['outcome']
        return None

    def destroy(self, flow_id: str) -> None:
        """Forget flow *flow_id* (no error if it is gone)."""
        try:
            with self.connection() as conn:
                conn.destroy_logbook(flow_id)
        except tf_exceptions.NotFound:
            pass

    def purge(self, older_than: float) -> int:
        """Delete the kept records of flows that finished, started more
        than *older_than* seconds ago; return how many."""
        before = engine_mod.utcnow() - datetime.timedelta(
            seconds=older_than)
        return self.db.run('purging finished flows', lambda conn: (
            conn.execute(_PURGE, {'before': before}).rowcount))


def _meta(text):
    try:
        found = jsonutils.loads(text) if text else {}
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _owner_of(meta):
    """The owner id a record names (records of earlier bricks held a
    dict there, whose process is long gone)."""
    found = meta.get('owner')
    return found if isinstance(found, str) else None


def _pending(row):
    """The :class:`Pending` of a row of :data:`_PENDING`: its owner is
    the lease's once taken over, else the one its record names."""
    meta = _meta(row.meta)
    leased = row.leased is not None
    return Pending(row.uuid, row.owner if leased else _owner_of(meta),
                   leased, meta.get('consumer'))


def error_data(error: BaseException) -> dict[str, str]:
    """An error as plain data for a record: its class and message."""
    return {'type': type(error).__name__, 'message': str(error)}


def error_from(data: Mapping[str, object]) -> exception.BrickException:
    """The :class:`~brick.exception.BrickException` :func:`error_data`
    described (a brick class of that name, else the root)."""
    cls = getattr(exception, str(data.get('type')), None)
    if not (isinstance(cls, type) and issubclass(
            cls, exception.BrickException)):
        cls = exception.BrickException
    return cls(str(data.get('message') or 'unknown error'))
