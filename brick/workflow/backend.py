# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Flow records in brick's database, through taskflow's persistence
interface.

:class:`Backend` implements :class:`taskflow.persistence.base.Backend`
and its :class:`~taskflow.persistence.base.Connection` on brick's own
tables (``flow_books``, ``flow_details``, ``flow_atoms``; see
:mod:`brick.db.models`), created by brick's migrations.  It uses nothing
of taskflow but that interface and the public models
(:mod:`taskflow.persistence.models`, their ``to_dict`` and
``from_dict``), and it keeps the interface's contract: every call is one
transaction, committed when the call returns; a detail that is updated
must have been saved (else :class:`taskflow.exceptions.NotFound`);
saving a logbook or a flow detail again adds what is new and replaces
what changed; database errors become
:class:`taskflow.exceptions.StorageFailure`.  taskflow's own persistence
tests (``taskflow.tests.unit.persistence.base.PersistenceTestMixin``)
run against it on every database brick supports.

Where it differs from taskflow's SQLAlchemy backend, for speed: a save
writes each row once with an "insert or update" statement instead of
reading the stored copy first and merging into it (the engine always
hands over whole details, so the result is the same); statements are
built once per process; and one connection object serves every
thread (it holds no database connection: each call checks one out of
the engine's pool).
"""

import sqlalchemy as sa
from oslo_serialization import jsonutils
from sqlalchemy.dialects import mysql
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite
from taskflow import exceptions as tf_exceptions
from taskflow.persistence import base
from taskflow.persistence import models as tf_models

from brick import exception
from brick.db import engine as engine_mod
from brick.db import migration
from brick.db import models

BOOKS = models.flow_books
FLOWS = models.flow_details
ATOMS = models.flow_atoms
_JSON = {'meta', 'results', 'failure', 'revert_results', 'revert_failure'}
_BOOK_DATA = ('name', 'meta')
_FLOW_DATA = ('name', 'state', 'meta')
_ATOM_DATA = ('name', 'version', 'state', 'intention', 'results', 'failure',
              'revert_results', 'revert_failure', 'meta')
_INSERTS = {'sqlite': sqlite.insert, 'postgresql': postgresql.insert,
            'mysql': mysql.insert}

_UUID = sa.bindparam('b_uuid')
_UPDATE_ATOM = ATOMS.update().where(ATOMS.c.uuid == _UUID).values(
    {name: sa.bindparam(name) for name in _ATOM_DATA + ('updated_at',)})
_UPDATE_FLOW = FLOWS.update().where(FLOWS.c.uuid == _UUID).values(
    {name: sa.bindparam(name) for name in _FLOW_DATA + ('updated_at',)})
_DELETE_BOOK = BOOKS.delete().where(BOOKS.c.uuid == _UUID)
_BOOK = sa.select(BOOKS).where(BOOKS.c.uuid == _UUID)
_FLOW = sa.select(FLOWS).where(FLOWS.c.uuid == _UUID)
_ATOM = sa.select(ATOMS).where(ATOMS.c.uuid == _UUID)
_FLOWS_OF_BOOK = sa.select(FLOWS).where(
    FLOWS.c.parent_uuid == _UUID).order_by(FLOWS.c.created_at)
_ATOMS_OF_FLOW = sa.select(ATOMS).where(
    ATOMS.c.parent_uuid == _UUID).order_by(ATOMS.c.created_at)
_ATOMS_OF_BOOK = sa.select(ATOMS).join(
    FLOWS, FLOWS.c.uuid == ATOMS.c.parent_uuid).where(
        FLOWS.c.parent_uuid == _UUID).order_by(ATOMS.c.created_at)


def _dumps(value):
    return None if value is None else jsonutils.dumps(value)


def _loads(text):
    return None if text is None else jsonutils.loads(text)


def _row(data, fields, **extra):
    """The columns of a model's ``to_dict()``: *fields*, JSON encoded."""
    row = {name: _dumps(data[name]) if name in _JSON else data[name]
           for name in fields}
    row.update(extra)
    return row


def _decoded(row, fields):
    return {name: _loads(row[name]) if name in _JSON else row[name]
            for name in fields}


def _book(row):
    found = tf_models.LogBook(row.name, uuid=row.uuid)
    found.meta = _loads(row.meta) or {}
    found.created_at = row.created_at
    found.updated_at = row.updated_at
    return found


def _flow(row):
    return tf_models.FlowDetail.from_dict(
        dict(_decoded(row._mapping, _FLOW_DATA), uuid=row.uuid))


def _one(conn, query, uuid, what):
    """The row of *query* (by ``b_uuid``) for *uuid*, else taskflow's
    ``NotFound`` naming *what*."""
    row = conn.execute(query, {'b_uuid': uuid}).first()
    if row is None:
        raise tf_exceptions.NotFound('No %s found with uuid %r'
                                     % (what, uuid))
    return row


def _atom(row):
    cls = tf_models.atom_detail_class(row.atom_type)
    return cls.from_dict(dict(_decoded(row._mapping, _ATOM_DATA),
                              uuid=row.uuid))


class Connection(base.Connection):
    """taskflow's persistence connection on one brick
    :class:`~brick.db.engine.Database` (see the module docstring)."""

    def __init__(self, backend):
        self._backend = backend
        self._db = backend.db
        self._upserts = {}

    @property
    def backend(self):
        return self._backend

    def close(self):
        """Nothing to close: each call returns its database connection to
        the engine's pool."""

    def upgrade(self):
        """Bring brick's schema (these tables included) up to date."""
        self._run('upgrade', None, lambda: migration.upgrade(self._db))

    def validate(self):
        self._run('validate', lambda conn: conn.execute(sa.select(1)),
                  readonly=True)

    def clear_all(self):
        self._run('clear', lambda conn: conn.execute(BOOKS.delete()))

    # -- writing ------------------------------------------------------------

    def _upsert(self, table, fields):
        """``INSERT ... ON CONFLICT (uuid) DO UPDATE`` of *fields* (and
        ``updated_at``) in this database's dialect, built once."""
        key = (table.name, self._db.backend)
        found = self._upserts.get(key)
        if found is None:
            insert = _INSERTS[self._db.backend](table)
            changed = fields + ('updated_at',)
            if self._db.backend == 'mysql':
                found = insert.on_duplicate_key_update(
                    {name: insert.inserted[name] for name in changed})
            else:
                found = insert.on_conflict_do_update(
                    index_elements=['uuid'],
                    set_={name: insert.excluded[name] for name in changed})
            self._upserts[key] = found
        return found

    def _save_atoms(self, conn, flow_detail, now):
        rows = [_row(atom.to_dict(), _ATOM_DATA, uuid=atom.uuid,
                     parent_uuid=flow_detail.uuid, created_at=now,
                     updated_at=now,
                     atom_type=tf_models.atom_detail_type(atom))
                for atom in flow_detail]
        if rows:
            conn.execute(self._upsert(ATOMS, _ATOM_DATA), rows)

    def update_atom_details(self, atom_detail):
        def work(conn):
            done = conn.execute(_UPDATE_ATOM, _row(
                atom_detail.to_dict(), _ATOM_DATA, b_uuid=atom_detail.uuid,
                updated_at=engine_mod.utcnow()))
            if not done.rowcount:
                raise tf_exceptions.NotFound(
                    'No atom details found with uuid %r' % atom_detail.uuid)
        self._run('updating atom %s' % atom_detail.uuid, work)
        return atom_detail

    def update_flow_details(self, flow_detail):
        def work(conn):
            now = engine_mod.utcnow()
            done = conn.execute(_UPDATE_FLOW, _row(
                flow_detail.to_dict(), _FLOW_DATA, b_uuid=flow_detail.uuid,
                updated_at=now))
            if not done.rowcount:
                raise tf_exceptions.NotFound(
                    'No flow details found with uuid %r' % flow_detail.uuid)
            self._save_atoms(conn, flow_detail, now)
        self._run('updating flow %s' % flow_detail.uuid, work)
        return flow_detail

    def save_logbook(self, book):
        def work(conn):
            now = engine_mod.utcnow()
            created = book.created_at or now
            conn.execute(self._upsert(BOOKS, _BOOK_DATA), _row(
                {'name': book.name, 'meta': book.meta}, _BOOK_DATA,
                uuid=book.uuid, created_at=created,
                updated_at=book.updated_at))
            flows = [_row(flow.to_dict(), _FLOW_DATA, uuid=flow.uuid,
                          parent_uuid=book.uuid, created_at=now,
                          updated_at=None) for flow in book]
            if flows:
                conn.execute(self._upsert(FLOWS, _FLOW_DATA), flows)
            for flow in book:
                self._save_atoms(conn, flow, now)
        self._run('saving logbook %s' % book.uuid, work)
        return book

    def destroy_logbook(self, book_uuid):
        def work(conn):
            # Its flows and atoms go with it (ON DELETE CASCADE).
            if not conn.execute(_DELETE_BOOK, {'b_uuid': book_uuid}).rowcount:
                raise tf_exceptions.NotFound(
                    'No logbook found with uuid %r' % book_uuid)
        self._run('destroying logbook %s' % book_uuid, work)

    # -- reading ------------------------------------------------------------

    def get_logbook(self, book_uuid, lazy=False):
        def work(conn):
            row = _one(conn, _BOOK, book_uuid, 'logbook')
            return self._filled(conn, _book(row), lazy)
        return self._run('reading logbook %s' % book_uuid, work,
                         readonly=True)

    def _filled(self, conn, book, lazy):
        if lazy:
            return book
        updated_at = book.updated_at
        flows = {}
        for row in conn.execute(_FLOWS_OF_BOOK, {'b_uuid': book.uuid}):
            flows[row.uuid] = _flow(row)
            book.add(flows[row.uuid])
        if flows:
            for row in conn.execute(_ATOMS_OF_BOOK, {'b_uuid': book.uuid}):
                flows[row.parent_uuid].add(_atom(row))
        book.updated_at = updated_at  # LogBook.add() sets it
        return book

    def get_logbooks(self, lazy=False):
        def work(conn):
            return [self._filled(conn, _book(row), lazy) for row in
                    conn.execute(sa.select(BOOKS).order_by(
                        BOOKS.c.created_at))]
        yield from self._run('reading logbooks', work, readonly=True)

    def get_flows_for_book(self, book_uuid):
        book = self.get_logbook(book_uuid)
        yield from book

    def get_flow_details(self, fd_uuid, lazy=False):
        def work(conn):
            flow = _flow(_one(conn, _FLOW, fd_uuid, 'flow details'))
            if not lazy:
                for atom in conn.execute(_ATOMS_OF_FLOW,
                                         {'b_uuid': fd_uuid}):
                    flow.add(_atom(atom))
            return flow
        return self._run('reading flow %s' % fd_uuid, work, readonly=True)

    def get_atom_details(self, ad_uuid):
        def work(conn):
            return _atom(_one(conn, _ATOM, ad_uuid, 'atom details'))
        return self._run('reading atom %s' % ad_uuid, work, readonly=True)

    def get_atoms_for_flow(self, fd_uuid):
        yield from self.get_flow_details(fd_uuid)

    def _run(self, what, work, call=None, readonly=False):
        """Run ``work(connection)`` in one transaction (or *call*()),
        with brick's retries of transient conflicts; database errors
        become taskflow's ``StorageFailure``."""
        try:
            if call is not None:
                return call()
            return self._db.run(what + ' (flow records)', work,
                                readonly=readonly)
        except tf_exceptions.TaskFlowException:
            raise
        except (exception.BrickException, sa.exc.SQLAlchemyError) as err:
            tf_exceptions.raise_with_cause(
                tf_exceptions.StorageFailure,
                'Failed %s in %s: %s' % (what, self._db.safe_url, err))


class Backend(base.Backend):
    """taskflow's persistence backend on a brick
    :class:`~brick.db.engine.Database` (which the caller owns and
    disposes of).

    :param db: the :class:`~brick.db.engine.Database`.
    :param conf: taskflow's backend configuration; nothing in it is
        used.
    """

    def __init__(self, db, conf=None):
        super().__init__(conf)
        self.db = db
        self._connection = Connection(self)

    def get_connection(self):
        return self._connection

    def close(self):
        """The database is the caller's: nothing to close here."""

