# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""When a flow's record is written: checkpoints before side effects.

A taskflow engine saves every state change of every atom through its
persistence backend, about 25 per placement.  brick's engines run on
:class:`Scratch`, a backend that keeps nothing (the engine's storage
already holds the flow detail it was given, and keeps it current), and
the :class:`Checkpoint` listener writes that flow detail to the flow
records (:mod:`brick.workflow.backend`, through taskflow's persistence
interface) at the moments a resume depends on:

* before every task starts executing or reverting (its RUNNING or
  REVERTING notification, which taskflow sends before it calls the
  task; every task of the placement flow has a side effect), so that a
  record saying the step *may* have happened is durable before it
  happens;
* when a run ends without finishing (see
  :class:`~brick.workflow.runner.Runner`).

A flow that dies before its first checkpoint left no record and did
nothing.  A crash between checkpoints leaves the record at the last
one: an earlier state of the same run, from which taskflow resumes as it
would from a crash a moment earlier (a task recorded RUNNING runs again;
brick's tasks are idempotent for that).  A successful placement writes
its record 4 times and deletes it once.

Before each checkpoint the listener also makes sure this process still
owns the flow (:meth:`brick.workflow.ownership.Owner.check`).  If it
does not, or the record cannot be written, the run stops right there,
before the step, as if the process had died: :class:`Interrupted` (a
``BaseException``, which taskflow's notifier and engine let through
without reverting anything) leaves the flow for its owner to resume.
"""

from taskflow import exceptions as tf_exceptions
from taskflow import states
from taskflow.listeners import base as listeners_base
from taskflow.persistence import base

from brick import exception

SAVE_POINTS = (states.RUNNING, states.REVERTING)


class Interrupted(BaseException):  # noqa: N818 - like KeyboardInterrupt
    """Stops a run between two steps; ``error`` says why (a
    :class:`~brick.exception.FlowInterrupted`)."""

    def __init__(self, error):
        super().__init__(error)
        self.error = error


class Checkpoint(listeners_base.Listener):
    """Writes the flow's record before each side effect.

    :param engine: the taskflow engine.
    :param flow_id: the flow's id, for errors.
    :param save: ``save()`` writes the flow detail.
    :param check: ``check()`` raises unless this process still owns the
        flow (``None``: no check).
    """

    def __init__(self, engine, flow_id, save, check=None):
        super().__init__(engine, task_listen_for=SAVE_POINTS,
                         flow_listen_for=(), retry_listen_for=())
        self._flow_id = flow_id
        self._save = save
        self._check = check

    def _task_receiver(self, state, details):
        try:
            if self._check is not None:
                self._check()
            self._save()
        except exception.FlowInterrupted as err:
            raise Interrupted(err) from err
        except (exception.BrickException,
                tf_exceptions.TaskFlowException) as err:
            raise Interrupted(exception.FlowInterrupted(
                id=self._flow_id,
                reason='its record could not be written: %s' % err)) \
                from err


class _Nothing(base.Connection):
    """Keeps nothing: what the engine saves is handed back as it is."""

    def __init__(self, backend):
        self._backend = backend

    @property
    def backend(self):
        return self._backend

    def close(self):
        pass

    def upgrade(self):
        pass

    def clear_all(self):
        pass

    def validate(self):
        pass

    def update_atom_details(self, atom_detail):
        return atom_detail

    def update_flow_details(self, flow_detail):
        return flow_detail

    def save_logbook(self, book):
        return book

    def destroy_logbook(self, book_uuid):
        pass

    def _none(self, what):
        raise tf_exceptions.NotFound('%s: the scratch backend keeps '
                                     'nothing' % what)

    def get_logbook(self, book_uuid, lazy=False):
        self._none('logbook %s' % book_uuid)

    def get_logbooks(self, lazy=False):
        return iter(())

    def get_flows_for_book(self, book_uuid):
        return iter(())

    def get_flow_details(self, fd_uuid, lazy=False):
        self._none('flow %s' % fd_uuid)

    def get_atom_details(self, ad_uuid):
        self._none('atom %s' % ad_uuid)

    def get_atoms_for_flow(self, fd_uuid):
        return iter(())


class Scratch(base.Backend):
    """The backend of brick's engines: keeps nothing, because the
    engine's storage holds the flow detail and :class:`Checkpoint`
    writes it where it is kept.  (Without a backend, taskflow gives each
    engine an in-memory one that copies every change into a locked tree
    nothing reads: half of an engine's own time per placement.)"""

    def __init__(self, conf=None):
        super().__init__(conf)
        self._connection = _Nothing(self)

    def get_connection(self):
        return self._connection

    def close(self):
        pass
