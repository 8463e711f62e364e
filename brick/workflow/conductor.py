# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The conductor: claims placement jobs from the jobboard and runs them.

:class:`Conductor` is taskflow's own non-blocking conductor
(``taskflow.conductors``: it iterates the board, claims jobs, runs each
in a thread of its pool and consumes or abandons it), as
openstack/octavia runs its amphora flows
(``octavia/common/base_taskflow.py``).  brick gives it what to do with a
claimed job (:meth:`Conductor._dispatch_job`, taskflow's hook for it):

1. check the job's details (:func:`brick.workflow.jobs.parse`); a job
   that is not a placement is recorded as failed where its flow id
   allows, and trashed (kept in the board's trash, never retried);
2. run its flow, or resume it if a record exists: a conductor that died
   left it there, and the lease of the dead process
   (:mod:`brick.workflow.ownership`) is taken over by compare-and-swap;
   a flow whose owner is alive (a conductor that lost its claim while
   stalled) is left to it and the job abandoned;
3. record the outcome in the flow's record (kept for the poster, who
   reads it after the job is consumed) and consume the job.

While a job runs, its Redis claim is pushed forward every quarter of
``[brick_conductor]claim_expiry`` (:meth:`Conductor.beat`), as Octavia
does; a ZooKeeper claim lives as long as the conductor's session.
"""

import os
import threading
import time
import uuid

from oslo_log import log as logging
from taskflow import exceptions as tf_exceptions
from taskflow.conductors.backends import impl_nonblocking

try:
    from taskflow.jobs.backends import impl_redis
except ImportError:  # redis is an extra: brick[redis]
    impl_redis = None

from brick import exception
from brick.workflow import jobs
from brick.workflow import persistence

LOG = logging.getLogger(__name__)
PURGE_EVERY = 300.0
"""Seconds between two purges of old kept records."""


class Conductor(impl_nonblocking.NonBlockingConductor):
    """Runs the placement jobs of *board* with *api*'s runner.

    :param name: the conductor's name on the board (its process id and
        a random suffix are added: claims are made in that name).
    :param board: a connected taskflow jobboard
        (:func:`brick.workflow.jobs.connect`).
    :param api: the :class:`brick.api.API` whose runner, nodes and boot
        handlers run the flows (its flows must be persisted).
    :param workers: jobs run at the same time.
    :param claim_expiry: seconds a Redis claim lasts without renewal.
    :param poll_interval: seconds between two looks at an idle board.
    :param result_ttl: seconds finished records are kept.
    """

    def __init__(self, name, board, api, workers=4, claim_expiry=30.0,
                 poll_interval=0.5, result_ttl=86400.0):
        # The name claims are made in: one per process, because a Redis
        # claim by the same name is renewed, not refused (two conductors
        # named alike would keep each other's dead claims alive).
        name = '%s:%d:%s' % (name, os.getpid(), uuid.uuid4().hex[:6])
        super().__init__(name, board, engine='serial',
                         wait_timeout=poll_interval,
                         max_simultaneous_jobs=workers)
        self.api = api
        self.runner = api.runner
        if self.runner.store is None:
            raise exception.InvalidValue(
                field='[brick_workflow]persist', value=False,
                allowed='true for a conductor (jobs resume from their '
                        'records)')
        self.store = self.runner.store
        self.claim_expiry = claim_expiry
        self.result_ttl = result_ttl
        self._jobs = {}
        self._jobs_lock = threading.Lock()
        self._beating = threading.Event()
        self._claims = _expiring(board, claim_expiry)

    # -- taskflow's hooks -------------------------------------------------

    def _dispatch_job(self, job):
        """Run one claimed job; return True to consume it, False to
        abandon it (another conductor, or this one, takes it again)."""
        with self._jobs_lock:
            self._jobs[job.uuid] = job
        try:
            return self._run(job)
        finally:
            with self._jobs_lock:
                self._jobs.pop(job.uuid, None)

    def _run(self, job):
        try:
            spec = jobs.parse(job)
        except exception.InvalidInput as err:
            self._reject(job, err)
            raise  # taskflow trashes a job whose dispatch failed
        try:
            self._place(spec)
        except exception.FlowBusy as err:
            LOG.info('Job %s: %s; abandoned until it is free', job.uuid,
                     err)
            return False
        except exception.FlowInterrupted as err:
            LOG.warning('Job %s: %s; abandoned', job.uuid, err)
            return False
        except exception.BrickException:
            pass  # the flow rolled back: its outcome is recorded
        except Exception as err:
            # A bug, not the request: record it, and let taskflow trash
            # the job rather than retry it forever.
            LOG.exception('Job %s failed unexpectedly', job.uuid)
            self._reject(job, exception.BackendError(
                reason='the conductor failed on it: %s' % err))
            raise
        return True

    def _place(self, spec):
        try:
            pending = self.store.pending(spec.flow_id)
        except exception.FlowNotFound:
            pending = None
        if pending is None:
            self._start(spec)
            return
        if self.store.outcome(spec.flow_id) is not None:
            LOG.info('Flow %s already finished; its job is consumed',
                     spec.flow_id)
            return
        self.runner.resume(pending, keep=True, inputs=spec.inputs)

    def _start(self, spec):
        """Run a new flow, first making sure no other conductor (one
        that lost its claim) started it too: the record is written and
        its lease taken by compare-and-swap before any step."""
        me = self.store.owner.id
        record = self.store.new(spec.flow_id, {
            'kind': spec.kind, 'attempts': spec.attempts,
            'reserve_count': spec.reserve_count},
            spec.inputs['consumer'], owner=me)
        self.store.save(record)
        # Of two conductors here at once, one inserts the lease row.
        self.store.take(persistence.Pending(spec.flow_id, me, False,
                                            spec.inputs['consumer']))
        self.runner.run(spec.inputs, spec.kind, spec.attempts,
                        spec.reserve_count, keep=True, record=record)

    def _reject(self, job, err):
        LOG.error('Job %s is dropped: %s', job.uuid, err)
        flow_id = jobs.flow_id_of(job)
        if flow_id is None:
            return
        try:
            record = self.store.load(flow_id)
        except exception.FlowNotFound:
            consumer = job.details.get('store', {}).get('consumer') \
                if isinstance(job.details.get('store'), dict) else None
            record = self.store.new(flow_id, {
                'kind': 'volume', 'attempts': 1, 'reserve_count': 1},
                consumer if isinstance(consumer, str) else None)
        except exception.BrickException:
            LOG.exception('Could not record the failure of job %s',
                          job.uuid)
            return
        try:
            self.store.fail(record, err)
        except (exception.BrickException, tf_exceptions.TaskFlowException):
            LOG.exception('Could not record the failure of job %s',
                          job.uuid)

    # -- claims and housekeeping -------------------------------------------

    def beat(self):
        """Push the claims of the running jobs forward, and purge kept
        records now and then, until :meth:`stop`."""
        last_purge = 0.0
        while not self._beating.wait(self.claim_expiry / 4):
            with self._jobs_lock:
                running = list(self._jobs.values())
            for job in running:
                self._claims(job)
            if time.monotonic() - last_purge > PURGE_EVERY:
                last_purge = time.monotonic()
                try:
                    gone = self.store.purge(self.result_ttl)
                except exception.BrickException:
                    LOG.exception('Could not purge finished flow records')
                else:
                    if gone:
                        LOG.info('Purged %d finished flow records', gone)

    def run(self, max_dispatches=None):
        """Claim and run jobs until :meth:`stop` (taskflow's loop), with
        :meth:`beat` in a thread of its own."""
        self._beating.clear()
        beater = threading.Thread(target=self.beat, daemon=True,
                                  name='brick-conductor-beat')
        beater.start()
        try:
            super().run(max_dispatches=max_dispatches)
        finally:
            self._beating.set()
            beater.join(5)

    def stop(self):
        super().stop()
        self._beating.set()


def _expiring(board, expiry):
    """Make *board*'s claims expire after *expiry* seconds (Redis: a
    claim never expires unless asked, as Octavia's
    ``run_conductor`` notes) and return ``extend(job)`` that pushes a
    job's claim forward; for a board whose claims live with a session
    (ZooKeeper), both are no-ops."""
    if impl_redis is None or not isinstance(board, impl_redis.RedisJobBoard):
        return lambda job: None
    claim = board.claim

    def claim_with_expiry(job, who):
        return claim(job, who, expiry=expiry)

    board.claim = claim_with_expiry

    def extend(job):
        try:
            if not job.extend_expiry(expiry):
                LOG.warning('The claim on job %s was lost; its flow stays '
                            'with this conductor until it ends', job.uuid)
        except tf_exceptions.JobFailure:
            LOG.exception('Could not extend the claim on job %s', job.uuid)
    return extend
