# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Running a placement flow, and resuming interrupted ones."""

import contextlib
import logging

from taskflow import engines
from taskflow import exceptions as tf_exceptions
from taskflow import states

from brick import exception
from brick.workflow import flow as flow_mod
from brick.workflow import listeners as listeners_mod
from brick.workflow import persistence
from brick.workflow import services as services_mod

LOG = logging.getLogger(__name__)
RESULTS = ('candidate', 'volumes', 'allocations', 'boot', 'consumer',
           'instance', 'volume_names', 'flow_id')
"""The names :meth:`Runner.run` returns from a finished flow."""


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
        flow = flow_mod.get_flow(**factory_kwargs)
        if self.store is None:
            engine = engines.load(flow, store=inputs)
        else:
            book, detail = self.store.create(inputs['flow_id'],
                                             factory_kwargs)
            engine = engines.load(flow, flow_detail=detail, book=book,
                                  backend=self.store.backend, store=inputs)
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
                LOG.error('Placement flow %s stopped in state %s; resume '
                          'it to finish', flow_id,
                          engine.storage.get_flow_state())
            raise
        found = engine.storage.fetch_all()
        self._forget(flow_id)
        return {name: found[name] for name in RESULTS if name in found}

    def _forget(self, flow_id):
        if self.store is not None and not self.keep_finished:
            self.store.destroy(flow_id)


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
