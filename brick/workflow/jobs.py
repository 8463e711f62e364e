# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Placements as jobs on a taskflow jobboard (Redis or ZooKeeper).

With ``[brick_workflow]jobboard_url`` set, :mod:`brick.api` posts each
placement as a job whose details are its request, as plain data
(:func:`details`), and ``brick-conductor`` processes
(:mod:`brick.workflow.conductor`) claim the jobs and run them.  The
details are checked again by the conductor (:func:`parse`), since
anything may post on a board.

The board is taskflow's own (``taskflow.jobs``): a claim on Redis is a
key with an expiry that the running conductor pushes forward; on
ZooKeeper an ephemeral node of the conductor's session.  Either way a
conductor that dies loses its claims and another one takes the jobs.
"""

import collections
import dataclasses
import threading
import urllib.parse
import uuid
from typing import TYPE_CHECKING
from typing import Any

from oslo_log import log as logging
from taskflow import exceptions as tf_exceptions
from taskflow.jobs import backends

from brick import exception
from brick import names
from brick.workflow import flow as flow_mod
from brick.workflow import tasks

if TYPE_CHECKING:  # annotations only: no import at run time
    from taskflow.jobs import base as jobs_base

    from brick.workflow import persistence

LOG = logging.getLogger(__name__)
FORMAT = 1
"""The version of the job details :func:`details` writes."""
SCHEMES = ('redis', 'zookeeper')
URL_SYNTAX = ('redis://[:PASSWORD@]HOST[:PORT][/DB][?namespace=NAME] or '
              'zookeeper://HOST:PORT[,HOST:PORT...][/PATH][?timeout=SECONDS]')
_MAX_ATTEMPTS = 100


def board_conf(url: str) -> dict:
    """taskflow's jobboard configuration for *url*.

    :raises brick.exception.InvalidValue: not a URL of :data:`URL_SYNTAX`.
    """
    def bad(what):
        return exception.InvalidValue(
            field='[brick_workflow]jobboard_url (%s)' % what,
            value=_masked(url), allowed=URL_SYNTAX)

    if not isinstance(url, str):
        raise bad('not a string')
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in SCHEMES or not parsed.netloc:
        raise bad('scheme and host')
    query = dict(urllib.parse.parse_qsl(parsed.query))
    _, _, hostpart = parsed.netloc.rpartition('@')
    try:
        if parsed.scheme == 'redis':
            conf = _redis(parsed, query)
        else:
            conf = _zookeeper(parsed, hostpart, query)
    except ValueError as err:
        raise bad('host, port or number') from err
    if query:
        raise bad('unknown parameter %s' % ', '.join(sorted(query)))
    return conf


def _redis(parsed, query):
    conf = {'board': 'redis', 'host': parsed.hostname or '',
            'port': parsed.port or 6379,
            'namespace': query.pop('namespace', 'brick')}
    db = parsed.path.strip('/')
    if db:
        conf['db'] = int(db)
    if parsed.password:
        conf['password'] = urllib.parse.unquote(parsed.password)
    if parsed.username:
        conf['username'] = urllib.parse.unquote(parsed.username)
    return conf


def _zookeeper(parsed, hostpart, query):
    hosts = hostpart.split(',')
    for host in hosts:
        name, _, port = host.rpartition(':')
        if not name or not port.isdigit():
            raise ValueError(host)
    conf = {'board': 'zookeeper', 'hosts': ','.join(hosts),
            'path': parsed.path.rstrip('/') or '/brick/jobs'}
    if 'timeout' in query:
        conf['timeout'] = float(query.pop('timeout'))
    return conf


def _masked(url):
    parsed = urllib.parse.urlsplit(url) if isinstance(url, str) else None
    if parsed is None or not parsed.password:
        return url
    return url.replace(':%s@' % parsed.password, ':****@')


def connect(url: str, name: str = 'brick'):
    """A connected jobboard for *url* (close it when done).

    :raises brick.exception.BackendError: it cannot be reached.
    """
    board = backends.fetch(name, board_conf(url))
    try:
        board.connect()
    except Exception as err:
        raise exception.BackendError(
            reason='cannot connect to the jobboard %s: %s' % (
                _masked(url), err)) from err
    return board


@dataclasses.dataclass(frozen=True)
class Spec:
    """A placement job, checked."""

    flow_id: str
    kind: str
    attempts: int
    reserve_count: int
    inputs: dict
    """The flow's store (see :func:`brick.workflow.flow.get_flow`)."""


def details(spec: Spec) -> dict:
    """The job details of *spec*: plain data only."""
    return {'brick': FORMAT, 'flow_id': spec.flow_id, 'kind': spec.kind,
            'attempts': spec.attempts, 'reserve_count': spec.reserve_count,
            'store': spec.inputs}


def job_name(spec: Spec) -> str:
    return 'brick-%s-%s' % (spec.kind, spec.flow_id)


def flow_id_of(job) -> str | None:
    """The flow id of *job*'s details if it is a valid UUID, else None
    (a job too broken to record anything about)."""
    found = job.details.get('flow_id') if isinstance(job.details,
                                                     dict) else None
    try:
        return str(uuid.UUID(found)) if isinstance(found, str) else None
    except ValueError:
        return None


def parse(job) -> Spec:
    """Check a job's details, as a conductor takes them.

    :raises brick.exception.InvalidJob: naming the field that is wrong.
    :raises brick.exception.InvalidInput: the request in it is invalid
        (as :mod:`brick.scheduler.request` says).
    """
    found = job.details

    def bad(field, value, allowed):
        return exception.InvalidJob(job=job.uuid, field=field,
                                    value=value, allowed=allowed)

    if not isinstance(found, dict) or found.get('brick') != FORMAT:
        raise bad('details', found, 'a dict with brick = %d' % FORMAT)
    flow_id = flow_id_of(job)
    if flow_id is None:
        raise bad('flow_id', found.get('flow_id'), 'a UUID')
    kind = found.get('kind')
    if kind not in flow_mod.KINDS:
        raise bad('kind', kind, ', '.join(flow_mod.KINDS))
    counts = {}
    for field in ('attempts', 'reserve_count'):
        value = found.get(field)
        if isinstance(value, bool) or not isinstance(value, int) or \
                not 1 <= value <= _MAX_ATTEMPTS:
            raise bad(field, value, 'an integer from 1 to %d'
                      % _MAX_ATTEMPTS)
        counts[field] = value
    inputs = found.get('store')
    if not isinstance(inputs, dict):
        raise bad('store', inputs, 'a dict')
    _check_inputs(bad, inputs, kind, flow_id)
    return Spec(flow_id, kind, counts['attempts'], counts['reserve_count'],
                dict(inputs))


def _check_inputs(bad, inputs, kind, flow_id):
    request = inputs.get('request')
    if not isinstance(request, dict) or not all(
            isinstance(request.get(key, {}), dict)
            for key in ('flavor', 'hints', 'args')):
        raise bad('store.request', request,
                  "a dict {'flavor': {}, 'hints': {}, 'args': {}}")
    if inputs.get('flow_id') != flow_id:
        raise bad('store.flow_id', inputs.get('flow_id'),
                  'the job\'s flow_id, %s' % flow_id)
    consumer = inputs.get('consumer')
    if not isinstance(consumer, str):
        raise bad('store.consumer', consumer, 'a name')
    names.validate(consumer, 'consumer')
    volume_names = inputs.get('volume_names')
    if not isinstance(volume_names, list) or not volume_names or not all(
            isinstance(name, str) for name in volume_names):
        raise bad('store.volume_names', volume_names, 'a list of names')
    for name in volume_names:
        names.validate(name, 'volume name')
    if kind == 'boot':
        for field in ('handler', 'instance'):
            if not isinstance(inputs.get(field), str):
                raise bad('store.' + field, inputs.get(field), 'a name')
    spec = tasks.build_spec(request, consumer)
    if len(spec.volumes) != len(volume_names):
        raise bad('store.volume_names', volume_names,
                  '%d name(s), one per volume' % len(spec.volumes))


class Poster:
    """Posts placements as jobs and waits for their outcome (the
    :mod:`brick.api` side).  The board is connected on first use.

    :param url: ``[brick_workflow]jobboard_url``.
    :param store: the :class:`~brick.workflow.persistence.FlowStore`
        where conductors record each job's outcome.
    """

    WAIT_DELAY = (0.005, 0.25)
    """First and longest pause between two looks at a job's state."""

    POSTED = 10000
    """Jobs this poster remembers, to wait for one by its flow id without
    reading the whole board."""

    def __init__(self, url: str, store: 'persistence.FlowStore'
                 ) -> None:
        board_conf(url)  # a bad URL fails now, naming the option
        self.url = url
        self.store = store
        self._board = None
        self._lock = threading.Lock()
        self._posted = collections.OrderedDict()

    @property
    def board(self):
        with self._lock:
            if self._board is None:
                self._board = connect(self.url, 'brick-poster')
            return self._board

    def post(self, spec: Spec) -> 'jobs_base.Job':
        """Post *spec*; return the taskflow job."""
        try:
            job = self.board.post(job_name(spec), details=details(spec))
        except tf_exceptions.JobFailure as err:
            raise exception.BackendError(
                reason='cannot post to the jobboard %s: %s' % (
                    _masked(self.url), err)) from err
        LOG.debug('Posted placement flow %s as job %s', spec.flow_id,
                  job.uuid)
        with self._lock:
            self._posted[spec.flow_id] = job
            while len(self._posted) > self.POSTED:
                self._posted.popitem(last=False)
        return job

    def find(self, flow_id: str):
        """The job of flow *flow_id* still on the board, or None."""
        with self._lock:
            job = self._posted.get(flow_id)
        if job is not None:
            return job
        for job in self.board.iterjobs(ensure_fresh=True):
            if flow_id_of(job) == flow_id:
                return job
        return None

    def wait(self, flow_id: str, job: 'jobs_base.Job | None' = None,
             timeout: float = 0.0) -> dict[str, Any]:
        """The outcome of flow *flow_id* (``{'placement': ...}`` or
        ``{'error': ...}``), waiting up to *timeout* seconds for its job.

        :raises brick.exception.PlacementPending: not finished in time.
        :raises brick.exception.FlowNotFound: no job and no record.
        """
        if job is None:
            try:
                found = self.store.outcome(flow_id)
            except exception.FlowNotFound:
                found = None  # not claimed yet, or unknown
            if found is not None:
                with self._lock:
                    self._posted.pop(flow_id, None)
                return found
            job = self.find(flow_id)
            if job is None:
                found = self.store.outcome(flow_id)  # FlowNotFound
                if found is None:
                    raise exception.FlowInterrupted(
                        id=flow_id, reason='its job left the jobboard '
                        'before it finished (see the conductors\' logs)')
                return found
        first, longest = self.WAIT_DELAY
        try:
            done = job.wait(timeout=timeout, delay=first, max_delay=longest)
        except tf_exceptions.JobFailure as err:
            raise exception.BackendError(
                reason='cannot read job %s on the jobboard: %s' % (
                    job.uuid, err)) from err
        if not done:
            raise exception.PlacementPending(id=flow_id, timeout=timeout)
        try:
            found = self.store.outcome(flow_id)
        except exception.FlowNotFound:
            found = None
        if found is None:
            raise exception.FlowInterrupted(
                id=flow_id, reason='its job was dropped by a conductor '
                'without an outcome (see the conductors\' logs)')
        with self._lock:
            self._posted.pop(flow_id, None)
        return found

    def close(self) -> None:
        with self._lock:
            board, self._board = self._board, None
        if board is not None:
            board.close()
