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
  which is how the engine changes them.
"""

import collections
import threading

import sqlalchemy as sa
from taskflow import exceptions as tf_exceptions
from taskflow.persistence import models
from taskflow.persistence.backends import impl_sqlalchemy

_REMEMBERED = 4096
"""Atoms whose last stored state is remembered, to skip progress-only
writes (about 7 per running flow)."""


def _without_progress(values):
    meta = dict(values.get('meta') or {})
    meta.pop('progress', None)
    return dict(values, meta=meta)


class _Connection(impl_sqlalchemy.Connection):

    def __init__(self, backend, upgrade_lock):
        super().__init__(backend, upgrade_lock)
        self._statements = {}
        self._stored = collections.OrderedDict()
        self._lock = threading.Lock()

    def _atom_update(self, columns):
        """``UPDATE atomdetails SET <columns> WHERE uuid = :b_uuid``,
        built once per set of columns."""
        key = tuple(sorted(columns))
        found = self._statements.get(key)
        if found is None:
            table = self._tables.atomdetails
            found = sa.update(table).where(
                table.c.uuid == sa.bindparam('b_uuid')).values(
                    {name: sa.bindparam(name) for name in key})
            self._statements[key] = found
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

    def update_atom_details(self, atom_detail):
        values = atom_detail.to_dict()
        if self._unchanged(values):
            return atom_detail
        params = dict(values, b_uuid=values['uuid'])
        try:
            with self._engine.begin() as conn:
                done = conn.execute(self._atom_update(values), params)
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
                for atom in flow_detail:
                    if atom.uuid not in stored:
                        value = atom.to_dict()
                        value['parent_uuid'] = flow_detail.uuid
                        value['atom_type'] = models.atom_detail_type(atom)
                        conn.execute(sa.insert(atoms).values(**value))
        except sa.exc.SQLAlchemyError:
            tf_exceptions.raise_with_cause(
                tf_exceptions.StorageFailure,
                'Failed updating flow details with uuid %r'
                % flow_detail.uuid)
        return flow_detail


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
