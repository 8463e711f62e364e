# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Flow records in the inventory database (taskflow's SQLAlchemy
persistence: tables ``logbooks``, ``flowdetails``, ``atomdetails``).

Each flow has a logbook of its own whose id is the flow's id, so that
concurrent processes never write the same logbook row.  The flow
detail's ``meta`` holds taskflow's ``factory`` (how to rebuild the flow:
:func:`brick.workflow.flow.get_flow` and its arguments) and the
``owner`` (host and pid) of the process running it.
"""

import contextlib
import os
import socket
import threading

from taskflow import engines
from taskflow import states
from taskflow.persistence import models

from brick import exception
from brick.workflow import backend as backend_mod
from brick.workflow import flow as flow_mod

BOOK_NAME = 'brick-placement'
_UPGRADE_LOCK = threading.Lock()
FINISHED = (states.SUCCESS, states.REVERTED)
"""Flow states with nothing left to do."""


def owner():
    """``{'host', 'pid'}`` of this process."""
    return {'host': socket.gethostname(), 'pid': os.getpid()}


def owner_alive(meta):
    """True if the process in *meta*'s ``owner`` runs on this host (and
    is not this one): its flows are not ours to resume."""
    found = (meta or {}).get('owner') or {}
    if found.get('host') != socket.gethostname():
        return False
    pid = found.get('pid')
    if not isinstance(pid, int) or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class FlowStore:
    """The flow records of one inventory database.

    :param db: the :class:`~brick.db.engine.Database`; its engine is
        shared.  Create taskflow's tables with :meth:`upgrade` first.
    """

    def __init__(self, db):
        self.db = db
        self._backend = None
        self._lock = threading.Lock()

    @property
    def backend(self):
        """The taskflow backend (made on first use)."""
        with self._lock:
            if self._backend is None:
                self._backend = backend_mod.Backend({},
                                                    engine=self.db.engine)
            return self._backend

    def upgrade(self):
        """Create or upgrade taskflow's tables (Alembic, version table
        ``alembic_version``).  Run it once, as a deployment step next to
        :func:`brick.db.migration.upgrade`, not from concurrent
        processes: schema changes do not take turns."""
        with _UPGRADE_LOCK, self.connection() as conn:
            conn.upgrade()

    @contextlib.contextmanager
    def connection(self):
        with contextlib.closing(self.backend.get_connection()) as conn:
            yield conn

    def create(self, flow_id, factory_kwargs, defer=False, quiet=()):
        """Record a new flow; return ``(book, flow_detail)``.

        :param defer: write the record at the flow's first save point,
            and its changes at later ones, until :meth:`flush` (see
            :mod:`brick.workflow.backend`).
        :param quiet: with *defer*, the names of the flow's tasks that
            have no side effect (:func:`brick.workflow.flow.quiet_atoms`).
        """
        book = models.LogBook(BOOK_NAME, uuid=flow_id)
        detail = models.FlowDetail('brick-%s' % factory_kwargs['kind'],
                                   uuid=flow_id)
        engines.save_factory_details(detail, flow_mod.get_flow, [],
                                     factory_kwargs)
        detail.meta['owner'] = owner()
        book.add(detail)
        with self.connection() as conn:
            if defer:
                conn.defer_logbook(book, quiet)
            else:
                conn.save_logbook(book)
        return book, detail

    def flush(self, flow_id):
        """Write what a deferred flow (:meth:`create`) held back, and
        write its later changes at once."""
        with self.connection() as conn:
            conn.flush(flow_id)

    def load(self, flow_id):
        """Return ``(book, flow_detail)`` of flow *flow_id*.

        :raises brick.exception.FlowNotFound: no such flow.
        """
        try:
            with self.connection() as conn:
                book = conn.get_logbook(flow_id)
        except Exception as err:  # taskflow's NotFound, or a bad id
            raise exception.FlowNotFound(
                id=flow_id, reason='no record in %s' % self.db.safe_url) \
                from err
        details = list(book)
        if book.name != BOOK_NAME or len(details) != 1:
            raise exception.FlowNotFound(id=flow_id,
                                         reason='not a brick placement')
        return book, details[0]

    def claim(self, detail):
        """Mark *detail* as run by this process from now on."""
        detail.meta['owner'] = owner()
        with self.connection() as conn:
            conn.update_flow_details(detail)

    def unfinished(self):
        """Ids of the flows not in a :data:`FINISHED` state, whose owner
        process is not alive on this host; oldest first."""
        with self.connection() as conn:
            flows = conn.flow_states(BOOK_NAME)
        return [flow_id for flow_id, state, meta in flows
                if state not in FINISHED and not owner_alive(meta)]

    def destroy(self, flow_id):
        """Forget flow *flow_id* (no error if it is gone)."""
        try:
            with self.connection() as conn:
                conn.destroy_logbook(flow_id)
        except Exception:  # noqa: S110 - already gone is fine
            pass
