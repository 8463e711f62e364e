# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""taskflow's SQLAlchemy persistence, made cheaper per state change.

taskflow records every state change of every atom.  Its SQLAlchemy
backend builds a new ``MetaData`` per connection object (and makes one
per change), reads a row before writing it, and rewrites every atom of a
flow when only the flow's state changed.  :class:`Backend` keeps the
same tables and the same stored data, with:

* one connection object for every thread (it holds no database
  connection: each call checks one out of the engine's pool), so the
  tables and SQLAlchemy's compiled statements are made once;
* an atom update that is one prepared ``UPDATE`` of the row (the engine
  always passes the whole atom, so reading and merging the old row first
  adds nothing), skipped when only the atom's progress changed (the
  engine saves 0.0 and 1.0 around every task; nothing reads it back);
* a flow update that writes the flow's row and inserts the atoms not
  stored yet; atoms already stored are written by their own updates,
  which is how the engine changes them;
* for a flow recorded with :meth:`_Connection.defer_logbook` (what the
  runner does for a new flow), writes held back until a **save point**:
  a task entering RUNNING or REVERTING, that is just before a task's
  side effect (its ``execute`` or ``revert``; tasks named as having
  none are not save points).  Everything held back is then written in
  one transaction, the latest value of each row winning;
  :meth:`_Connection.flush` writes the rest when the run ends.  A crash
  leaves the record as it was at the last save point: an earlier state
  of the same run, from which taskflow resumes as it would from a crash
  a moment earlier (a task whose RUNNING is recorded runs again; brick's
  tasks are idempotent for that).  Every side effect is still preceded
  by a durable record that it may have happened, and a flow that dies
  before its first task with a side effect leaves no record and did
  nothing (until then, other processes do not see it in the records
  either).  A successful placement writes its record in 5 transactions
  (4 save points and the delete at the end) instead of 21.
"""

import collections
import threading

import sqlalchemy as sa
from taskflow import exceptions as tf_exceptions
from taskflow import states
from taskflow.persistence import models
from taskflow.persistence.backends import impl_memory
from taskflow.persistence.backends import impl_sqlalchemy

_REMEMBERED = 4096
"""Atoms whose last stored state is remembered, to skip progress-only
writes (about 7 per running flow)."""


SAVE_POINTS = (states.RUNNING, states.REVERTING)
"""A task entering one of these states writes what was held back."""


def _without_progress(values):
    meta = dict(values.get('meta') or {})
    meta.pop('progress', None)
    return dict(values, meta=meta)


class _Held:
    """The writes held back for one deferred flow."""

    def __init__(self, book, flow, quiet):
        self.quiet = quiet
        """Names of atoms whose start is no save point."""
        self.book = book
        """The logbook's row to insert, or None once stored."""
        self.parent = book['uuid']
        self.flow = flow
        """The flow's row, or None when unchanged since last written."""
        self.flow_stored = False
        self.atoms = {}
        """``{uuid: row}`` of atoms changed since last written."""
        self.stored_atoms = set()


def _atom_row(atom_detail, parent_uuid):
    value = atom_detail.to_dict()
    value['parent_uuid'] = parent_uuid
    value['atom_type'] = models.atom_detail_type(atom_detail)
    return value


def _plain(row):
    """An atom's row without the columns only an insert sets."""
    return {k: v for k, v in row.items()
            if k not in ('parent_uuid', 'atom_type')}


class _Connection(impl_sqlalchemy.Connection):

    def __init__(self, backend, upgrade_lock):
        super().__init__(backend, upgrade_lock)
        self._statements = {}
        self._stored = collections.OrderedDict()
        self._lock = threading.Lock()
        self._held = {}
        """``{flow uuid: _Held}`` of the deferred flows."""
        self._atom_flows = {}
        """``{atom uuid: flow uuid}`` of the deferred flows' atoms."""

    def _built(self, name, make):
        """The statement *make(tables)*, built once per *name*: building
        one costs more than running it on SQLite."""
        found = self._statements.get(name)
        if found is None:
            found = self._statements[name] = make(self._tables)
        return found

    def _update(self, table, columns):
        """``UPDATE <table> SET <columns> WHERE uuid = :b_uuid``, built
        once per table and set of columns (any iterable of names)."""
        key = (table,) + tuple(sorted(columns))
        found = self._statements.get(key)
        if found is None:
            rows = getattr(self._tables, table)
            found = self._statements[key] = sa.update(rows).where(
                rows.c.uuid == sa.bindparam('b_uuid')).values(
                    {name: sa.bindparam(name) for name in key[1:]})
        return found

    def _unchanged(self, values):
        """True if *values* differ from what was last stored for this
        atom only in progress."""
        with self._lock:
            return self._stored.get(values['uuid']) == _without_progress(
                values)

    def _remember(self, values):
        with self._lock:
            self._stored[values['uuid']] = _without_progress(values)
            self._stored.move_to_end(values['uuid'])
            while len(self._stored) > _REMEMBERED:
                self._stored.popitem(last=False)

    def defer_logbook(self, book, quiet=()):
        """Record *book* (one flow detail, no atoms yet) at the first save
        point instead of now; its flow's writes are held back from then
        on (see the module docstring) until :meth:`flush`.

        :param quiet: names of tasks without side effects, whose start
            is no save point.
        """
        flow_detail, = book
        flow = flow_detail.to_dict()
        flow['parent_uuid'] = book.uuid
        with self._lock:
            self._held[flow_detail.uuid] = _Held(book.to_dict(), flow,
                                                 frozenset(quiet))

    def flush(self, flow_uuid):
        """Write what is held back for flow *flow_uuid* and stop holding
        its writes back (nothing if it is not deferred)."""
        with self._lock:
            held = self._held.get(flow_uuid)
        if held is not None:
            self._write_held(held)
        self._forget(flow_uuid)

    def _forget(self, flow_uuid):
        with self._lock:
            held = self._held.pop(flow_uuid, None)
            if held is not None:
                for uuid in held.stored_atoms | set(held.atoms):
                    self._atom_flows.pop(uuid, None)

    def _write_held(self, held):
        """One transaction: the logbook, the flow and its atoms as they
        are now.  Only the thread running the flow writes for it."""
        if held.book is None and held.flow is None and not held.atoms:
            return
        inserts, updates = [], collections.defaultdict(list)
        for uuid, row in held.atoms.items():
            if uuid in held.stored_atoms:
                row = _plain(row)
                updates[tuple(sorted(row))].append(dict(row, b_uuid=uuid))
            else:
                inserts.append(row)
        try:
            with self._engine.begin() as conn:
                if held.book is not None:
                    conn.execute(self._built('insert-book', lambda t: (
                        sa.insert(t.logbooks))), held.book)
                if held.flow is not None and held.flow_stored:
                    flow = _plain(held.flow)
                    conn.execute(self._update('flowdetails', flow),
                                 dict(flow, b_uuid=flow['uuid']))
                elif held.flow is not None:
                    conn.execute(self._built('insert-flow', lambda t: (
                        sa.insert(t.flowdetails))), held.flow)
                if inserts:
                    conn.execute(self._built('insert-atoms', lambda t: (
                        sa.insert(t.atomdetails))), inserts)
                for columns, rows in updates.items():
                    conn.execute(self._update('atomdetails', columns), rows)
        except sa.exc.SQLAlchemyError:
            tf_exceptions.raise_with_cause(
                tf_exceptions.StorageFailure,
                'Failed writing the records of flow %r'
                % (held.flow or {}).get('uuid'))
        held.book = None
        if held.flow is not None:
            held.flow_stored = True
            held.flow = None
        held.stored_atoms.update(held.atoms)
        for row in held.atoms.values():
            self._remember(_plain(row))
        held.atoms = {}

    def _hold_atom(self, atom_detail, values):
        """Hold *values* back if the atom's flow is deferred, and write
        everything held if this is a save point (a task, not quiet, just
        entering RUNNING or REVERTING: not a progress-only change after
        that was written).  False if the flow is not deferred."""
        with self._lock:
            held = self._held.get(self._atom_flows.get(values['uuid']))
        if held is None:
            return False
        row = held.atoms.get(values['uuid'])
        held.atoms[values['uuid']] = dict(row, **values) if row else dict(
            values)
        if values['state'] in SAVE_POINTS and isinstance(
                atom_detail, models.TaskDetail) and \
                values['name'] not in held.quiet and \
                not self._unchanged(values):
            self._write_held(held)
        return True

    def update_atom_details(self, atom_detail):
        values = atom_detail.to_dict()
        if self._hold_atom(atom_detail, values):
            return atom_detail
        if self._unchanged(values):
            return atom_detail
        params = dict(values, b_uuid=values['uuid'])
        try:
            with self._engine.begin() as conn:
                done = conn.execute(self._update('atomdetails', values),
                                    params)
        except sa.exc.SQLAlchemyError:
            tf_exceptions.raise_with_cause(
                tf_exceptions.StorageFailure,
                'Failed updating atom details with uuid %r'
                % atom_detail.uuid)
        if not done.rowcount:
            raise tf_exceptions.NotFound(
                'No atom details found with uuid %r' % atom_detail.uuid)
        self._remember(values)
        return atom_detail

    def update_flow_details(self, flow_detail):
        with self._lock:
            held = self._held.get(flow_detail.uuid)
        if held is not None:
            held.flow = dict(flow_detail.to_dict(), parent_uuid=held.parent)
            for atom in flow_detail:
                if atom.uuid not in held.stored_atoms and \
                        atom.uuid not in held.atoms:
                    held.atoms[atom.uuid] = _atom_row(atom, flow_detail.uuid)
                    with self._lock:
                        self._atom_flows[atom.uuid] = flow_detail.uuid
            return flow_detail
        flows, atoms = self._tables.flowdetails, self._tables.atomdetails
        try:
            with self._engine.begin() as conn:
                done = conn.execute(sa.update(flows).where(
                    flows.c.uuid == flow_detail.uuid).values(
                        flow_detail.to_dict()))
                if not done.rowcount:
                    raise tf_exceptions.NotFound(
                        'No flow details found with uuid %r'
                        % flow_detail.uuid)
                stored = set(conn.scalars(sa.select(atoms.c.uuid).where(
                    atoms.c.parent_uuid == flow_detail.uuid)))
                missing = [_atom_row(atom, flow_detail.uuid)
                           for atom in flow_detail if atom.uuid not in stored]
                if missing:
                    conn.execute(sa.insert(atoms), missing)
        except sa.exc.SQLAlchemyError:
            tf_exceptions.raise_with_cause(
                tf_exceptions.StorageFailure,
                'Failed updating flow details with uuid %r'
                % flow_detail.uuid)
        return flow_detail

    def flow_states(self, book_name):
        """``[(book uuid, flow state, flow meta)]`` of the flows in the
        books named *book_name*, oldest book first: one query, where
        taskflow's API reads each book's flows with one of their own."""
        books, flows = self._tables.logbooks, self._tables.flowdetails
        query = sa.select(books.c.uuid, flows.c.state, flows.c.meta).join(
            flows, flows.c.parent_uuid == books.c.uuid).where(
                books.c.name == book_name).order_by(books.c.created_at)
        try:
            with self._engine.connect() as conn:
                return [tuple(row) for row in conn.execute(query)]
        except sa.exc.SQLAlchemyError:
            tf_exceptions.raise_with_cause(
                tf_exceptions.StorageFailure,
                'Failed reading the flows of books %r' % book_name)

    def destroy_logbook(self, book_uuid):
        with self._lock:
            held = self._held.get(book_uuid)
            unwritten = held is not None and held.book is not None
        self._forget(book_uuid)  # brick's books and flows share the id
        if unwritten:
            return  # never written: nothing to delete
        delete = self._built('delete-book', lambda t: sa.delete(
            t.logbooks).where(t.logbooks.c.uuid == sa.bindparam('b_uuid')))
        try:
            with self._engine.begin() as conn:
                done = conn.execute(delete, {'b_uuid': book_uuid})
        except sa.exc.SQLAlchemyError:
            tf_exceptions.raise_with_cause(
                tf_exceptions.StorageFailure,
                'Failed destroying logbook %r' % book_uuid)
        if not done.rowcount:  # the rest goes with it (ON DELETE CASCADE)
            raise tf_exceptions.NotFound(
                'No logbook found with uuid %r' % book_uuid)


class Backend(impl_sqlalchemy.SQLAlchemyBackend):
    """taskflow's SQLAlchemy backend on brick's engine (see the module
    docstring)."""

    def __init__(self, conf, engine=None):
        super().__init__(conf, engine=engine)
        self._shared = None
        self._shared_lock = threading.Lock()

    def get_connection(self):
        with self._shared_lock:
            if self._shared is None:
                self._shared = _Connection(self, self._upgrade_lock)
            return self._shared


class _Unrecorded(impl_memory.Connection):
    """Stores nothing: the engine's storage holds the flow's only copy,
    and what it saves is handed back as it is."""

    def update_atom_details(self, atom_detail):
        return atom_detail

    def update_flow_details(self, flow_detail, ignore_missing=False):
        return flow_detail


class Transient(impl_memory.MemoryBackend):
    """The backend of flows that are not persisted
    (``[brick_workflow]persist = false``).

    Without a backend, taskflow gives each engine an in-memory one that
    copies every state change into a locked tree nothing reads back (a
    third of such a run's time); this one keeps nothing, with one
    connection object for every engine and thread.
    """

    def __init__(self, conf=None):
        super().__init__(conf)
        self._connection = None

    def get_connection(self):
        if self._connection is None:  # two made at once: both are fine
            self._connection = _Unrecorded(self)
        return self._connection
