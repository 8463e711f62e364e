# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Running a placement flow, and resuming interrupted ones.

A flow runs on a taskflow engine (``taskflow.engines.load``, the serial
engine: tasks in the calling thread) over the
:class:`~brick.workflow.checkpoint.Scratch` backend, with a
:class:`~brick.workflow.checkpoint.Checkpoint` listener writing its
record before each side effect.  Flows are built once per set of
:func:`~brick.workflow.flow.get_flow` arguments and reused
(:class:`Flows`); the engine, its storage and its runtime are new for
every run.

How a run ends, and what becomes of its record:

* committed or rolled back: the record is deleted, or kept with its
  outcome (``keep_finished``, and always for jobs, whose poster reads
  it);
* stopped by an error after which taskflow did not finish reverting:
  the record is written as it is, for a resume;
* interrupted before a step (this process no longer owns the flow, or
  its record cannot be written): nothing more is written; the flow is
  let go, if this process still owns it, so that any process may
  resume it at once (:class:`~brick.exception.FlowInterrupted`).
"""

import collections
import contextlib
import threading
from typing import TYPE_CHECKING
from typing import Any

from oslo_log import log as logging
from taskflow import engines
from taskflow import exceptions as tf_exceptions
from taskflow import states
from taskflow.persistence import models

from brick import exception
from brick.workflow import checkpoint
from brick.workflow import flow as flow_mod
from brick.workflow import listeners as listeners_mod
from brick.workflow import persistence
from brick.workflow import services as services_mod

if TYPE_CHECKING:  # annotations only: no import at run time
    from brick.scheduler import request as request_mod

LOG = logging.getLogger(__name__)
RESULTS = ('candidate', 'volumes', 'allocations', 'boot', 'consumer',
           'instance', 'volume_names', 'flow_id')
"""The names :meth:`Runner.run` returns from a finished flow."""
ENGINE_OPTIONS = {'engine': 'serial', 'gather_statistics': False}
"""taskflow engine options: tasks in the calling thread; no run
statistics (nothing reads them)."""


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
        """A flow of :func:`~brick.workflow.flow.get_flow`
        (*factory_kwargs*), for the duration of the ``with`` block."""
        key = tuple(sorted(factory_kwargs.items()))
        with self._lock:
            free = self._free[key]
            flow = free.pop() if free else None
        if flow is None:
            flow = flow_mod.get_flow(**factory_kwargs)
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

    def __init__(self, services: services_mod.Services,
                 store: persistence.FlowStore | None = None,
                 keep_finished: bool = False) -> None:
        self.services = services
        self.store = store
        self.keep_finished = keep_finished
        self.flows = Flows()
        self._scratch = checkpoint.Scratch()
        self._running = set()
        self._lock = threading.Lock()

    def run(self, inputs: dict[str, Any], kind: str, attempts: int,
            reserve_count: int,
            callback: listeners_mod.Callback | None = None,
            keep: bool = False, record: persistence.Record | None = None,
            spec: 'request_mod.RequestSpec | None' = None
            ) -> dict[str, Any]:
        """Run a new flow (see :func:`~brick.workflow.flow.get_flow`).

        :param inputs: the flow's store; ``flow_id`` a UUID string.
        :param callback: optional ``callback(Event)`` for progress.
        :param keep: keep the record with its outcome, whatever
            ``keep_finished`` says (a job's poster reads it).
        :param record: the flow's
            :class:`~brick.workflow.persistence.Record`, if the caller
            wrote it already (a conductor does, to own the flow before
            its first step); default a new one.
        :param spec: the request's
            :class:`~brick.scheduler.request.RequestSpec`, if the caller
            built it (checking the request): not built again.
        :returns: ``{name: value}`` for the names in :data:`RESULTS`.
        :raises brick.exception.BrickException: the flow failed and was
            rolled back; the error of its last attempt
            (:class:`~brick.exception.PlacementFailed` when every
            attempt failed on a host).
        :raises brick.exception.FlowInterrupted: stopped between two
            steps; it is resumed from its record.
        """
        factory_kwargs = {'kind': kind, 'attempts': attempts,
                          'reserve_count': reserve_count}
        with self.flows.borrow(**factory_kwargs) as flow:
            if self.store is None:
                detail = models.FlowDetail(flow.name, uuid=inputs['flow_id'])
            else:
                if record is None:
                    record = self.store.new(inputs['flow_id'],
                                            factory_kwargs,
                                            inputs['consumer'],
                                            owner=self.store.owner.id)
                detail = record.detail
            engine = engines.load(flow, flow_detail=detail,
                                  backend=self._scratch, store=inputs,
                                  **ENGINE_OPTIONS)
            what = _what(kind, inputs['consumer'])
            return self._run(engine, record, callback, keep,
                             (what, attempts), spec)

    def resume(self, pending: persistence.Pending | str,
               callback: listeners_mod.Callback | None = None,
               keep: bool = False, inputs: dict[str, Any] | None = None
               ) -> dict[str, Any]:
        """Take over and finish an interrupted flow: it continues from
        its last recorded step, or rolls back if that step failed.

        :param pending: a :class:`~brick.workflow.persistence.Pending`
            (from :meth:`unfinished`), or a flow id.
        :param inputs: the flow's inputs, if the caller has them (a
            conductor has the job's): a flow that died before its first
            step recorded none.
        :returns: as :meth:`run`.
        :raises brick.exception.FlowNotFound: no such flow, it finished,
            or flows are not persisted.
        :raises brick.exception.FlowBusy: its owner is alive, or another
            process took it first.
        :raises brick.exception.FlowUnresumable: recorded by a brick
            whose flow no longer exists here (its record now says so).
        """
        if self.store is None:
            raise exception.FlowNotFound(
                id=getattr(pending, 'flow_id', pending),
                reason='[brick_workflow]persist is off')
        if isinstance(pending, str):
            pending = self.store.pending(pending)
        flow_id = pending.flow_id
        with self._lock:
            if flow_id in self._running:
                raise exception.FlowBusy(id=flow_id, owner='this process')
        record = self.store.load(flow_id)
        if record.detail.state in persistence.FINISHED:
            raise exception.FlowNotFound(
                id=flow_id,
                reason='it already finished (%s)' % record.detail.state)
        self.store.take(pending)
        flow = self._rebuild(record)
        engine = engines.load(flow, flow_detail=record.detail,
                              backend=self._scratch, store=inputs,
                              **ENGINE_OPTIONS)
        LOG.info('Resuming placement flow %s from state %s', flow_id,
                 record.detail.state)
        factory = record.meta.get('factory', {}).get('kwargs', {})
        what = _what(record.meta.get('kind'), record.meta.get('consumer'))
        return self._run(engine, record, callback, keep,
                         (what, factory.get('attempts', 1)))

    def _rebuild(self, record):
        """The flow *record* was run with, built by this brick; a flow
        this brick cannot run is recorded as failed."""
        version = record.meta.get('version', 1)
        try:
            if version != flow_mod.VERSION:
                raise ValueError('it was recorded by a brick whose '
                                 'placement flow was version %s; this brick '
                                 'runs version %s' % (version,
                                                      flow_mod.VERSION))
            return engines.flow_from_detail(record.detail)
        except (ValueError, TypeError, ImportError,
                tf_exceptions.TaskFlowException,
                exception.BrickException) as err:
            error = exception.FlowUnresumable(
                id=record.flow_id,
                reason='%s.  Its reservations expire by themselves; its '
                       'volumes, if any, are left to the node\'s '
                       'reconciliation' % str(err).rstrip('.'))
            self.store.fail(record, error)
            raise error from err

    def unfinished(self) -> list[persistence.Pending]:
        """The flows :meth:`resume` may take (see
        :meth:`~brick.workflow.persistence.FlowStore.unfinished`)."""
        if self.store is None:
            return []
        with self._lock:
            running = set(self._running)
        return self.store.unfinished(running)

    def _run(self, engine, record, callback, keep, label, spec=None):
        flow_id = engine.storage.flow_uuid
        transients = {services_mod.NAME: self.services,
                      services_mod.RESUMED: record is not None
                      and record.resumed}
        if spec is not None:
            transients['spec'] = spec
        engine.storage.inject(transients, transient=True)
        with self._lock:
            self._running.add(flow_id)
        try:
            with contextlib.ExitStack() as stack:
                # The record first: a caller's callback hears of a step
                # once the record says it may happen.
                if record is not None:
                    stack.enter_context(checkpoint.Checkpoint(
                        engine, flow_id, lambda: self.store.save(record),
                        self.store.owner.check))
                for listener in listeners_mod.listeners(engine, flow_id,
                                                        callback):
                    stack.enter_context(listener)
                _run_engine(engine, *label)
        except checkpoint.Interrupted as stop:
            self._let_go(record)
            raise stop.error from stop
        except exception.BrickException as err:
            if engine.storage.get_flow_state() == states.REVERTED:
                self._end(record, {'error': persistence.error_data(err)},
                          keep)
            else:
                self._flush(record)
                LOG.error('Placement flow %s stopped in state %s; resume '
                          'it to finish', flow_id,
                          engine.storage.get_flow_state())
            raise
        except BaseException:
            self._flush(record)
            raise
        finally:
            with self._lock:
                self._running.discard(flow_id)
        found = engine.storage.fetch_all()
        results = {name: found[name] for name in RESULTS if name in found}
        self._end(record, {'placement': results}, keep)
        return results

    def _end(self, record, outcome, keep):
        if record is None:
            return
        try:
            self.store.finish(record, outcome, keep or self.keep_finished)
        except (exception.BrickException,
                tf_exceptions.TaskFlowException):
            # A finished flow's record left behind is harmless: it is
            # not listed as unfinished.
            LOG.exception('Could not clear the record of finished '
                          'placement flow %s', record.flow_id)

    def _flush(self, record):
        """Write the record of a run that stopped unfinished, if it was
        ever written and this process still owns it."""
        if record is None or not record.saved:
            return
        try:
            self.store.owner.check()
            self.store.save(record)
        except (exception.BrickException,
                tf_exceptions.TaskFlowException):
            # The record stays at its last checkpoint, from which the
            # flow resumes; the run's own outcome is what the caller
            # needs to hear about.
            LOG.exception('Could not write the last changes of placement '
                          'flow %s', record.flow_id)

    def _let_go(self, record):
        if record is None or not record.saved:
            return
        try:
            self.store.owner.check()
            self.store.owner.let_go(record.flow_id)
        except exception.BrickException:
            LOG.warning('Placement flow %s stays with this process until '
                        'it resumes it itself (API.resume)',
                        record.flow_id)


def _what(kind, consumer):
    return '%s %s' % ('instance' if kind == 'boot' else 'volume', consumer)


def _run_engine(engine, what, attempts):
    """Run *engine*; of several failures (an attempt's, then the final
    NoValidHost once every host was excluded) raise the one that says
    most: the scheduler's refusal, else the last; a host's failure
    after the last attempt as :class:`~brick.exception.PlacementFailed`.
    """
    try:
        try:
            engine.run()
        except tf_exceptions.WrappedFailure as wrapped:
            failures = list(wrapped)
            chosen = next((f for f in failures
                           if f.check(exception.NoValidHost)), failures[-1])
            chosen.reraise()
    except exception.HostFailed as err:
        raise exception.PlacementFailed(what=what, attempts=attempts,
                                        reason=err) from err
