# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Running a placement flow, and resuming interrupted ones.

A new flow runs on a :class:`~taskflow.engines.action_engine.engine.\
SerialActionEngine` (tasks in the calling thread, no executor threads)
made directly rather than through ``taskflow.engines.load``, which looks
the engine up among the entry points on every call.  The flows
themselves are built once per set of :func:`~brick.workflow.flow.\
get_flow` arguments and reused (:class:`Flows`), each with taskflow's
compiled form of it (its ``PatternCompiler``, which keeps its result: it
depends on the flow only); the engine, its storage and its runtime are
new for every run.
"""

import collections
import contextlib
import threading

from oslo_log import log as logging
from taskflow import engines
from taskflow import exceptions as tf_exceptions
from taskflow import states
from taskflow.engines.action_engine import compiler as compiler_mod
from taskflow.engines.action_engine import engine as engine_mod
from taskflow.persistence import models

from brick import exception
from brick.workflow import backend as backend_mod
from brick.workflow import flow as flow_mod
from brick.workflow import listeners as listeners_mod
from brick.workflow import persistence
from brick.workflow import services as services_mod

LOG = logging.getLogger(__name__)
RESULTS = ('candidate', 'volumes', 'allocations', 'boot', 'consumer',
           'instance', 'volume_names', 'flow_id')
"""The names :meth:`Runner.run` returns from a finished flow."""


class Flows:
    """Built placement flows, lent to one engine at a time.

    A flow and its tasks hold no run state (that lives in the engine's
    storage), but taskflow binds an engine's progress callback to a
    task's notifier while the task runs, so a flow is never shared by
    two running engines: :meth:`borrow` hands out a free one or builds
    another, and takes it back when the run ends.  At most as many flows
    per kind are kept as ran at once.
    """

    def __init__(self):
        self._free = collections.defaultdict(list)
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def borrow(self, **factory_kwargs):
        """``(flow, compiler)``: a flow of :func:`~brick.workflow.flow.\
        get_flow` (*factory_kwargs*) and its taskflow ``PatternCompiler``,
        for the duration of the ``with`` block."""
        key = tuple(sorted(factory_kwargs.items()))
        with self._lock:
            free = self._free[key]
            flow = free.pop() if free else None
        if flow is None:
            made = flow_mod.get_flow(**factory_kwargs)
            flow = (made, compiler_mod.PatternCompiler(made))
        try:
            yield flow
        except Exception:
            self._give_back(key, flow)  # a failed run is a normal end
            raise
        # After a BaseException (KeyboardInterrupt...) the flow is
        # dropped: a task may have stopped half-way.
        self._give_back(key, flow)

    def _give_back(self, key, flow):
        with self._lock:
            self._free[key].append(flow)


class Runner:
    """Runs flows with one set of :class:`Services`.

    :param services: the :class:`~brick.workflow.services.Services`.
    :param store: a :class:`~brick.workflow.persistence.FlowStore`, or
        None to keep flows in memory only (nothing to resume).
    :param keep_finished: keep records of finished flows.
    """

    def __init__(self, services, store=None, keep_finished=False):
        self.services = services
        self.store = store
        self.keep_finished = keep_finished
        self.flows = Flows()
        self._transient = backend_mod.Transient()

    def run(self, inputs, kind, attempts, reserve_count, callback=None):
        """Run a new flow (see :func:`~brick.workflow.flow.get_flow`).

        :param inputs: the flow's store; ``flow_id`` a UUID string.
        :param callback: optional ``callback(Event)`` for progress.
        :returns: ``{name: value}`` for the names in :data:`RESULTS`.
        :raises brick.exception.BrickException: the flow failed and was
            rolled back; the error of its last attempt.
        """
        factory_kwargs = {'kind': kind, 'attempts': attempts,
                          'reserve_count': reserve_count}
        with self.flows.borrow(**factory_kwargs) as (flow, compiler):
            if self.store is None:
                detail = models.FlowDetail(flow.name, uuid=inputs['flow_id'])
                backend = self._transient
            else:
                _book, detail = self.store.create(
                    inputs['flow_id'], factory_kwargs, defer=True,
                    quiet=flow_mod.quiet_atoms(flow))
                backend = self.store.backend
            try:
                engine = engine_mod.SerialActionEngine(flow, detail,
                                                       backend, {})
                # The engine's own compiler would compile the flow again;
                # a taskflow without this attribute just does so.
                engine._compiler = compiler  # noqa: SLF001
                engine.storage.inject(inputs)
            except Exception:
                if self.store is not None:  # nothing ran: no record
                    self.store.destroy(inputs['flow_id'])
                raise
            return self._run(engine, inputs['flow_id'], callback)

    def resume(self, flow_id, callback=None):
        """Finish flow *flow_id*, interrupted by a crash: it continues
        from its last recorded step, or rolls back if that step failed.

        :returns: as :meth:`run`.
        :raises brick.exception.FlowNotFound: no such flow, or flows are
            not persisted.
        """
        if self.store is None:
            raise exception.FlowNotFound(
                id=flow_id, reason='[brick_workflow]persist is off')
        book, detail = self.store.load(flow_id)
        if detail.state in persistence.FINISHED:
            raise exception.FlowNotFound(
                id=flow_id, reason='it already finished (%s)' % detail.state)
        self.store.claim(detail)
        engine = engines.load_from_detail(detail, book=book,
                                          backend=self.store.backend)
        LOG.info('Resuming placement flow %s from state %s', flow_id,
                 detail.state)
        return self._run(engine, flow_id, callback)

    def unfinished(self):
        """Ids of the flows :meth:`resume` can take (see
        :meth:`~brick.workflow.persistence.FlowStore.unfinished`)."""
        return [] if self.store is None else self.store.unfinished()

    def _run(self, engine, flow_id, callback):
        engine.storage.inject({services_mod.NAME: self.services},
                              transient=True)
        try:
            with contextlib.ExitStack() as stack:
                for listener in listeners_mod.listeners(engine, flow_id,
                                                        callback):
                    stack.enter_context(listener)
                _run_engine(engine)
        except Exception:
            if engine.storage.get_flow_state() == states.REVERTED:
                self._forget(flow_id)
            else:
                self._flush(flow_id)
                LOG.error('Placement flow %s stopped in state %s; resume '
                          'it to finish', flow_id,
                          engine.storage.get_flow_state())
            raise
        except BaseException:
            self._flush(flow_id)
            raise
        found = engine.storage.fetch_all()
        self._forget(flow_id)
        return {name: found[name] for name in RESULTS if name in found}

    def _flush(self, flow_id):
        if self.store is None:
            return
        try:
            self.store.flush(flow_id)
        except Exception:
            # The record stays at its last save point, from which the
            # flow resumes; the run's own outcome is what the caller
            # needs to hear about.
            LOG.exception('Could not write the last changes of placement '
                          'flow %s', flow_id)

    def _forget(self, flow_id):
        if self.store is not None and not self.keep_finished:
            self.store.destroy(flow_id)
        else:
            self._flush(flow_id)


def _run_engine(engine):
    """Run *engine*; of several failures (an attempt's, then the final
    NoValidHost once every host was excluded) raise the one that says
    most: the scheduler's refusal, else the last."""
    try:
        engine.run()
    except tf_exceptions.WrappedFailure as wrapped:
        failures = list(wrapped)
        chosen = next((f for f in failures
                       if f.check(exception.NoValidHost)), failures[-1])
        chosen.reraise()
