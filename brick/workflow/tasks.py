# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The tasks of the placement flow; every side effect has a revert.

Inputs and results are plain JSON-able data, because taskflow records
them: a resumed flow continues from them in another process.  A
*candidate* is ``{'host', 'rank', 'score', 'placements': [{'volume',
'pool_key', 'pool_id', 'pool', 'node', 'size'}]}`` (``node``: the host
whose node creates the volume); once reserved it also has
``request_id`` and ``reservations``.
"""

import uuid
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

from oslo_log import log as logging
from taskflow import task
from taskflow.types import failure as tf_failure

from brick import exception
from brick.inventory import allocations as allocations_mod
from brick.inventory import orphans
from brick.inventory import reservations
from brick.scheduler import request as request_mod
from brick.workflow import services as services_mod

LOG = logging.getLogger(__name__)
SERVICES = services_mod.NAME


BOOT_DEFAULTS = {'locality': 'host'}
"""What a boot's request assumes when no argument, hint or extra spec
says otherwise: the instance's volumes stay on its host.  (A volume's
locality defaults to ``host`` when it names its consumer's host, e.g.
``local_to_instance``, and to ``any`` otherwise;
:func:`brick.scheduler.request.build`.)"""


def stored_request(kind: str, flavor: Mapping[str, object] | None = None,
                   hints: Mapping[str, object] | None = None,
                   args: Mapping[str, object] | None = None
                   ) -> dict[str, dict[str, object]]:
    """The request a service stores for the flow, as :func:`build_spec`
    reads it: ``{'flavor', 'hints', 'args'}`` and, for a boot,
    ``'defaults'`` (:data:`BOOT_DEFAULTS`).

    :param kind: ``boot`` or ``volume``.
    :param flavor: the flavor's extra specs.
    :param hints: scheduler hints.
    :param args: explicit arguments, JSON-able (the flow records them).
    """
    request = {'flavor': dict(flavor or {}), 'hints': dict(hints or {}),
               'args': dict(args or {})}
    if kind == 'boot':
        request['defaults'] = dict(BOOT_DEFAULTS)
    return request


def build_spec(request: Mapping[str, Any], consumer: str | None,
               exclude_hosts: Iterable[str] = ()
               ) -> request_mod.RequestSpec:
    """The :class:`~brick.scheduler.request.RequestSpec` of a stored
    request ``{'flavor', 'hints', 'args', 'defaults'}``."""
    args = dict(request.get('args') or {})
    excluded = set(args.pop('exclude_hosts', None) or ()) | set(
        exclude_hosts)
    return request_mod.build(flavor=request.get('flavor'),
                             hints=request.get('hints'),
                             defaults=request.get('defaults'),
                             consumer=consumer,
                             exclude_hosts=frozenset(excluded), **args)


def candidate_data(candidate):
    """A scheduler :class:`~brick.scheduler.candidate.Candidate` as the
    plain dict the flow records."""
    placements = []
    for placement in candidate.placements:
        scope, _, rest = placement.pool.partition(':')
        owner, _, pool = rest.rpartition('/')
        placements.append({
            'volume': placement.volume, 'pool_key': placement.pool,
            'pool_id': placement.pool_id, 'pool': pool,
            'node': owner if scope == 'host' else candidate.host,
            'size': placement.size})
    return {'host': candidate.host, 'rank': candidate.rank,
            'score': round(candidate.score, 6), 'placements': placements}


def _failed(result):
    return isinstance(result, tf_failure.Failure)


class ReserveTask(task.Task):
    """Rank the hosts that can take the request, and reserve the best
    *count* candidates, each all-or-nothing.

    A candidate whose pools filled up meanwhile is skipped; when none can
    be reserved the scheduler's cache is refreshed and the conflict
    raised, for :class:`~brick.workflow.retries.Reschedule` to try again.
    Ranking and reserving are one step so that a placement runs one
    taskflow atom less; a process that died in it left reservations
    under request ids derived from the flow and the attempt
    (:func:`request_id_of`), which the resumed step (and a revert)
    release before anything else: the step then starts over.

    :param count: how many candidates to reserve (X).
    :raises brick.exception.NoValidHost: nothing fits; its
        ``explanation`` says why.
    """

    default_provides = 'reserved'

    def __init__(self, count, **kwargs):
        super().__init__(**kwargs)
        self.count = count

    def execute(self, services, request, consumer, volume_names, flow_id,
                attempt, resumed, spec=None):
        if resumed:
            release_attempt(services, flow_id, attempt)
        if spec is None or attempt['exclude_hosts']:
            spec = build_spec(request, consumer, attempt['exclude_hosts'])
        decision = services.selector.select(spec)
        LOG.debug('Attempt %d for %s: %d candidate(s), best %s',
                  attempt['number'], consumer, len(decision.candidates),
                  decision.best.describe())
        reserved, last = [], None
        for found in decision.candidates:
            if len(reserved) >= self.count:
                break
            candidate = candidate_data(found)
            request_id = request_id_of(flow_id, attempt, candidate)
            items = [(p['pool_id'], p['size'], volume_names[p['volume']])
                     for p in candidate['placements']]
            try:
                # Its request ids are new (an earlier run's were released
                # above): no earlier claim to look for.
                rows = reservations.claim(services.db, consumer, items,
                                          request_id=request_id,
                                          repeat=False)
            except (exception.InsufficientCapacity,
                    exception.ConcurrentUpdate) as err:
                LOG.info('Could not reserve host %s for %s: %s',
                         candidate['host'], consumer, err)
                last = err
                continue
            services.claimed(candidate)
            reserved.append(dict(candidate, request_id=request_id,
                                 reservations=[row.id for row in rows]))
        if not reserved:
            services.selector.refresh()
            raise last or exception.InsufficientCapacity(
                pool='any candidate', requested=0, available=0)
        return reserved

    def revert(self, services, result, flow_id, attempt, **kwargs):
        if not _failed(result):
            for candidate in result or ():
                release(services, candidate)
            return
        # It failed, or died and failed when resumed, perhaps after
        # reserving some candidates: their request ids say which.
        release_attempt(services, flow_id, attempt)


def release_attempt(services, flow_id, attempt):
    """Release whatever :class:`ReserveTask` may have reserved in
    *attempt*: the reservations of the request ids of every rank the
    scheduler can return (one statement)."""
    ranks = range(1, services.selector.settings.max_results + 1)
    reservations.release(services.db, request_id=[
        request_id_of(flow_id, attempt, {'rank': rank}) for rank in ranks])


def request_id_of(flow_id, attempt, candidate):
    """The request id of *candidate*'s reservations in *attempt*:
    derived from the flow, so that a resumed flow that reruns
    :class:`ReserveTask` gets the same reservations back, not new ones,
    and a revert finds them without a record of them."""
    return str(uuid.uuid5(uuid.UUID(flow_id), '%d/%d' % (
        attempt['number'], candidate['rank'])))


def release(services, candidate):
    """Release *candidate*'s reservations (idempotent)."""
    if reservations.release(services.db,
                            request_id=candidate['request_id']):
        services.released(candidate)


def volume_data(placement, name, volume, info):
    return {'name': name, 'host': placement['node'],
            'pool': placement['pool'], 'pool_id': placement['pool_id'],
            'size': volume.size, 'path': volume.path,
            'format': volume.format, 'connection_info': info}


class CreateVolumesTask(task.Task):
    """Create every volume of a reserved candidate on its node, or none,
    trying the reserved candidates in rank order: on a failure the
    volumes this call made on that candidate are deleted, its
    reservation released, and the next candidate tried.  The revert
    deletes the chosen candidate's volumes and releases it.

    Drivers create idempotently, so a volume already there with the same
    name and size is adopted (that is what lets a resumed flow create
    again) and is deleted like the others on rollback; one of the same
    name and another size is a conflict, and left alone.  Volume names
    carry the consumer's id, so only a reused consumer id can meet a
    volume it did not make.  A resumed run skips the candidates whose
    reservation is no longer held (a failed try released it).

    A node that does not answer (:class:`~brick.exception.NodeUnreachable`)
    or fails in its backend may have made the volume anyway, or make it
    when it gets to the call: the volume is recorded as an orphan
    (:mod:`brick.inventory.orphans`), which its node deletes once its
    report shows it, so a timeout is a failed host and never a leak.

    Walking the candidates here rather than with a taskflow retry
    controller around a subflow spares each placement two atoms of
    engine work, 11 % of its instructions (``python -m bench workflow
    -- --instructions``); the outcome and the record are the same.

    :raises brick.exception.HostFailed: every reserved candidate failed;
        it names them all, for :class:`~brick.workflow.retries.Reschedule`
        to leave them out.
    """

    default_provides = ('candidate', 'volumes')

    def execute(self, services, reserved, volume_names, resumed):
        tried, last = [], None
        for candidate in reserved:
            if resumed and not reservations.list_reservations(
                    services.db, request_id=candidate['request_id'],
                    state='reserved'):
                tried.append(candidate['host'])
                continue  # released when a try failed before the crash
            try:
                return candidate, _create(services, candidate, volume_names)
            except exception.HostFailed as err:
                LOG.info('Could not create the volumes on host %s: %s',
                         candidate['host'], err)
                release(services, candidate)
                tried.append(candidate['host'])
                last = err
        raise exception.HostFailed(
            host=reserved[-1]['host'] if reserved else 'none',
            hosts=tried, step='create the volumes on any reserved host',
            reason=last or 'none of them was still reserved')

    def revert(self, services, result, **kwargs):
        if not _failed(result) and result:
            candidate, volumes = result
            _delete(services, volumes)
            release(services, candidate)


def _create(services, candidate, volume_names):
    """The volumes of *candidate*, made on their nodes, or none.

    :raises brick.exception.HostFailed: a node failed.
    """
    made = []
    for placement in candidate['placements']:
        name = volume_names[placement['volume']]
        try:
            node = services.nodes.get(placement['node'])
            volume, info = node.create_volume(placement['pool'], name,
                                              placement['size'])
        except Exception as err:
            if _outcome_unknown(err):
                _orphaned(services, placement['pool_id'], name,
                          'create on %s gave no answer: %s' % (
                              placement['node'], err))
            _delete(services, made)
            raise exception.HostFailed(
                host=candidate['host'],
                step='create volume %s in pool %s' % (name,
                                                      placement['pool']),
                reason=err) from err
        made.append(volume_data(placement, name, volume, info))
    return made


def _outcome_unknown(err: BaseException) -> bool:
    """True unless *err* says the node refused before changing anything
    (bad input, a clash, no room, not supported)."""
    return not isinstance(err, exception.InvalidInput | exception.NotFound
                          | exception.Conflict | exception.NotSupported
                          | exception.RPCVersionMismatch)


def _orphaned(services: services_mod.Services, pool_id: int, name: str,
              reason: str) -> None:
    """Record an orphan; a failure to record is logged (the volume then
    shows up as abandoned or adopted in the next census, not lost)."""
    try:
        orphans.record(services.db, pool_id, name, reason)
    except Exception:
        LOG.exception('Could not record orphan %s of pool %s', name,
                      pool_id)


def _delete(services: services_mod.Services,
            volumes: list[dict] | None) -> None:
    """Delete *volumes* (``volume_data`` dicts) on their nodes; a volume
    that cannot be deleted (its node is unreachable) is recorded as an
    orphan, which its node deletes later, and the others are still
    deleted."""
    for volume in volumes or ():
        try:
            services.nodes.get(volume['host']).delete_volume(
                volume['pool'], volume['name'])
        except Exception as err:
            LOG.exception('Could not delete volume %s of pool %s on %s '
                          'while rolling back', volume['name'],
                          volume['pool'], volume['host'])
            _orphaned(services, volume['pool_id'], volume['name'],
                      'rollback could not delete it on %s: %s' % (
                          volume['host'], err))


class BootInstanceTask(task.Task):
    """Run the caller's boot handler, found by name.

    :raises brick.exception.HandlerNotFound: not registered (final).
    :raises brick.exception.HostFailed: the handler failed.
    """

    default_provides = 'boot'

    def execute(self, services, candidate, volumes, handler, instance):
        boot = services.handlers.get(handler)
        try:
            return boot.boot(instance, candidate['host'], volumes)
        except Exception as err:
            raise exception.HostFailed(
                host=candidate['host'], step='boot instance %s' % instance,
                reason=err) from err

    def revert(self, services, candidate, volumes, handler, instance,
               result, **kwargs):
        if handler not in services.handlers:
            return
        services.handlers.get(handler).revert(instance, candidate['host'],
                                              volumes)


class CommitTask(task.Task):
    """Turn the chosen reservation into allocations and release the
    other reserved candidates.  Last: nothing after it can fail."""

    default_provides = 'allocations'

    def execute(self, services, candidate, reserved):
        others = [other for other in reserved
                  if other['request_id'] != candidate['request_id']]
        # One transaction for both (idempotent by id, like the two
        # calls it replaces): a rerun after a crash changes nothing.
        done = reservations.settle(
            services.db, commit=candidate['reservations'],
            release=[rid for other in others
                     for rid in other['reservations']])
        freed = set(done.released)
        for other in others:
            if freed.intersection(other['reservations']):
                services.released(other)
        return [allocation.id for allocation in done.allocations]

    def revert(self, services, result, **kwargs):
        """Only if an enclosing flow reverts a committed placement: free
        the allocations (the volumes go with CreateVolumesTask's revert).
        """
        if not _failed(result) and result:
            allocations_mod.free(services.db, ids=result)
