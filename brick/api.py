# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""What compute and volume services import.

A compute service boots instances with local storage::

    api = API(conf, nodes=[NodeAgent('node1', drivers), ...])
    api.setup()                                 # schema, node reports
    api.handlers.register('libvirt', boot)      # boot(instance, host, vols)
    placed = api.boot_instance('vm1', 'libvirt',
                               flavor={'brick:local_gb': '20'})
    placed.host, placed.volumes[0].connection_info

A volume service creates volumes where they are needed::

    api.create_volume('vol1', size='10G', local_to_instance='vm1')
    api.extend_volume('vol1', 20 * units.Gi)
    api.delete_volume('vol1')

Both run the placement workflow (:mod:`brick.workflow`): select, reserve
the best ``[brick_workflow]reserve_count``, create, boot, commit, with
rollback and retries.  Nothing fits: :class:`~brick.exception.NoValidHost`
with the scheduler's ``explanation``.  Every attempt failed:
:class:`~brick.exception.PlacementFailed`.

Where a placement runs: in the calling process by default; with
``[brick_workflow]jobboard_url`` it is posted as a job that a
``brick-conductor`` runs (:mod:`brick.workflow.jobs`), and the call
waits for its outcome (or, with ``wait=False``, returns a :class:`Posted`
to ask :meth:`API.result` about later).  Flows of a process that died
are resumed by another conductor without anyone's help; in the embedded
mode, by :meth:`API.resume` (or :func:`resume`, which ``brick flow
resume`` uses).  A flow whose owner is alive is never taken from it.
"""

import dataclasses
import threading
import uuid
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import TYPE_CHECKING
from typing import Any
from typing import Unpack

from oslo_config import cfg

import brick.conf
from brick import exception
from brick import names
from brick.db import engine as engine_mod
from brick.db import migration
from brick.inventory import census
from brick.node import agent
from brick.node import directory
from brick.node import remote as remote_mod
from brick.scheduler import cache as cache_mod
from brick.scheduler import selector as selector_mod
from brick.scheduler import source as store_mod
from brick.workflow import handlers as handlers_mod
from brick.workflow import jobs
from brick.workflow import ownership
from brick.workflow import persistence
from brick.workflow import runner as runner_mod
from brick.workflow import services as services_mod
from brick.workflow import tasks
from brick.workflow import volumes as volumes_mod

if TYPE_CHECKING:  # annotations only: no import at run time
    from brick.drivers import volume as volume_mod
    from brick.node import base as node_base
    from brick.scheduler import request as request_mod
    from brick.workflow import listeners


@dataclasses.dataclass(frozen=True)
class VolumeInfo:
    """A volume the workflow created."""

    name: str
    host: str
    """The host whose node manages it."""
    pool: str
    pool_id: int
    """The pool's id in the inventory."""
    size: int
    path: str
    format: str
    connection_info: dict[str, Any]
    """What os-brick's LOCAL connector takes."""


@dataclasses.dataclass(frozen=True)
class Placement:
    """The outcome of a committed placement."""

    flow_id: str
    consumer: str
    host: str
    """The host the consumer (instance) runs on."""
    volumes: tuple[VolumeInfo, ...]
    """:class:`VolumeInfo` objects, in request order."""
    boot: object = None
    """What the boot handler returned (None for volume placements)."""

    @classmethod
    def from_results(cls, found: Mapping[str, Any]) -> 'Placement':
        return cls(found['flow_id'], found['consumer'],
                   found['candidate']['host'],
                   tuple(VolumeInfo(**{f.name: vol[f.name] for f in
                                       dataclasses.fields(VolumeInfo)})
                         for vol in found['volumes']),
                   found.get('boot'))


@dataclasses.dataclass(frozen=True)
class Posted:
    """A placement posted to the jobboard (``wait=False``)."""

    flow_id: str
    """Ask :meth:`API.result` for it."""
    job_id: str
    """Its job's id on the jobboard."""


@dataclasses.dataclass(frozen=True)
class Resumed:
    """What :meth:`API.resume` did with one unfinished flow."""

    flow_id: str
    consumer: str | None
    """The instance or volume the flow placed."""
    outcome: Placement | exception.BrickException
    """The :class:`Placement`, or the
    :class:`~brick.exception.BrickException` the flow ended with (rolled
    back, or not taken: :class:`~brick.exception.FlowBusy`)."""

    @property
    def placed(self) -> bool:
        return isinstance(self.outcome, Placement)


def _outcome(found: Mapping[str, Any]) -> Placement:
    """The :class:`Placement` of a recorded outcome, or raise its error.
    """
    if 'placement' in found:
        return Placement.from_results(found['placement'])
    raise persistence.error_from(found.get('error') or {})


def _plain(value: object) -> object:
    """JSON-able form of a request argument (it is recorded)."""
    if isinstance(value, set | frozenset):
        value = sorted(value, key=str)
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}
    return value


class API:
    """brick, embedded: placement for compute and volume services.

    The constructor only stores its arguments; :meth:`setup` touches the
    database and the nodes.

    :param conf: the caller's ``ConfigOpts``; brick's options are
        registered on it if they are not.
    :param nodes: :class:`~brick.node.base.Node` objects, one per host
        this process reaches (default: none; add with ``nodes.add``).
        With a message broker configured (``[brick_node]transport_url``,
        or oslo.messaging's ``[DEFAULT]transport_url``), every other host
        is reached through its ``brick-node`` service
        (:class:`~brick.node.remote.RemoteNode`).
    :param db: a :class:`~brick.db.engine.Database`; default from
        ``[brick_database]``.
    :param instance_host: optional ``callable(instance) -> host`` for
        ``local_to_instance`` requests about instances brick did not
        place.
    """

    def __init__(self, conf: cfg.ConfigOpts,
                 nodes: Iterable['node_base.Node'] = (),
                 db: engine_mod.Database | None = None,
                 instance_host: Callable[[str], str | None] | None = None
                 ) -> None:
        if 'brick_workflow' not in conf:
            brick.conf.register_opts(conf)
        self.conf = conf
        self.nodes = directory.Directory(nodes, remote_mod.from_conf(conf))
        self.handlers = handlers_mod.Registry()
        """Boot handlers by name: fill it before booting or resuming."""
        self._db = db
        self._instance_host = instance_host
        self._runner: runner_mod.Runner | None = None
        self._owner: ownership.Owner | None = None
        self._poster: jobs.Poster | None = None
        self._lock = threading.Lock()

    @property
    def db(self) -> engine_mod.Database:
        if self._db is None:
            self._db = engine_mod.Database.from_conf(self.conf)
        return self._db

    @property
    def runner(self) -> runner_mod.Runner:
        """The :class:`~brick.workflow.runner.Runner` (made on first
        use)."""
        with self._lock:
            if self._runner is None:
                cache = cache_mod.StateCache()
                selector = selector_mod.Selector.from_conf(
                    self.conf, cache, source=store_mod.StoreSource(self.db),
                    locator=store_mod.StoreLocator(self.db, cache,
                                                   self._instance_host))
                group = self.conf.brick_workflow
                store = None
                if group.persist:
                    self._owner = ownership.Owner(self.db, group.owner_ttl)
                    store = persistence.FlowStore(self.db, self._owner)
                self._runner = runner_mod.Runner(
                    services_mod.Services(self.db, selector, self.nodes,
                                          self.handlers),
                    store, keep_finished=group.keep_finished)
            return self._runner

    @property
    def poster(self) -> jobs.Poster | None:
        """The :class:`~brick.workflow.jobs.Poster` of
        ``[brick_workflow]jobboard_url`` (made on first use), or None."""
        group = self.conf.brick_workflow
        if group.jobboard_url is None:
            return None
        store = self.runner.store
        with self._lock:
            if self._poster is None:
                if store is None:
                    raise exception.InvalidValue(
                        field='[brick_workflow]persist', value=False,
                        allowed='true with [brick_workflow]jobboard_url '
                                '(a job\'s outcome is read from its record)')
                self._poster = jobs.Poster(group.jobboard_url, store)
            return self._poster

    def setup(self) -> None:
        """Upgrade the database schema (the flow records' tables
        included), then :meth:`report_nodes`.  Run it before the service
        takes requests, not from concurrent processes at once."""
        migration.upgrade(self.db)
        self.report_nodes()

    def report_nodes(self) -> None:
        """Check the pools of every in-process node and write their
        reports into the inventory (remote nodes report by themselves).
        Safe from concurrent processes."""
        for node in self.nodes:
            node.setup()
            census.apply(self.db, node.report())

    def close(self) -> None:
        """Release database and broker connections and the jobboard;
        give up the flows this process owns (any process may resume
        those it left unfinished at once)."""
        if self._poster is not None:
            self._poster.close()
        if self._owner is not None:
            self._owner.close()
        if self._db is not None:
            self._db.dispose()
        self.nodes.close()

    # -- compute side ----------------------------------------------------

    def boot_instance(self, instance: str, handler: str,
                      flavor: dict[str, str] | None = None,
                      hints: dict[str, Any] | None = None,
                      volume_names: Sequence[str] | None = None,
                      listener: 'listeners.Callback | None' = None,
                      wait: bool = True,
                      **args: 'Unpack[request_mod.BuildArguments]'
                      ) -> Placement | Posted:
        """Place and create *instance*'s local volumes, then boot it.

        :param instance: the instance id (a brick name).
        :param handler: the name of a registered boot handler.
        :param flavor: the flavor's extra specs (``brick:local_gb``...).
        :param hints: scheduler hints.
        :param volume_names: names of the volumes, new ones; default
            ``<instance>-disk<N>``.  A host where another volume has the
            name fails the create and is left as it was.
        :param listener: optional ``callback(Event)`` for progress (in
            this process only: not with a jobboard).
        :param wait: with a jobboard, False returns a :class:`Posted` at
            once instead of waiting for the outcome.
        :param args: explicit request values (``size``, ``count``,
            ``driver``, ``locality``...; see
            :func:`brick.scheduler.request.build`).
        :returns: the :class:`Placement`, ``boot`` being the handler's
            result.
        :raises brick.exception.InvalidInput: a bad argument, or no
            local storage asked for.
        :raises brick.exception.HandlerNotFound: *handler* is unknown.
        :raises brick.exception.NoValidHost: nothing fits.
        :raises brick.exception.PlacementFailed: every attempt failed.
        :raises brick.exception.PlacementPending: posted, and not done
            within ``[brick_workflow]job_timeout``.
        """
        names.validate(instance, 'instance id')
        if self.conf.brick_workflow.jobboard_url is None:
            self.handlers.get(handler)  # the conductors' own else
        else:
            names.validate(handler, 'boot handler name')
        return self._place('boot', instance, flavor, hints, args,
                           volume_names, '%s-disk%%d' % instance, listener,
                           {'handler': handler, 'instance': instance}, wait)

    # -- volume side -----------------------------------------------------

    def create_volume(self, volume: str, size: int | str | None = None,
                      local_to_instance: str | None = None,
                      near_volume: str | None = None,
                      flavor: dict[str, str] | None = None,
                      hints: dict[str, Any] | None = None,
                      listener: 'listeners.Callback | None' = None,
                      wait: bool = True,
                      **args: 'Unpack[request_mod.RequestArguments]'
                      ) -> Placement | Posted:
        """Place and create volume *volume*.

        :param volume: the volume's id, also its name on the node.
        :param size: int bytes or a string such as ``'10G'``.
        :param local_to_instance: put it on this instance's host.
        :param near_volume: put it near this volume.
        :param args: other request values, as for :meth:`boot_instance`.
        :returns: the :class:`Placement` (its one volume is
            ``volumes[0]``), or a :class:`Posted` (see
            :meth:`boot_instance`).
        """
        names.validate(volume, 'volume id')
        every = dict(args, size=size, local_to_instance=local_to_instance,
                     near_volume=near_volume)
        return self._place('volume', volume, flavor, hints, every,
                           None, volume + '-%d', listener, {}, wait)

    def delete_volume(self, volume: str) -> int:
        """Delete a placed volume and free its space (its node and pool
        are found from its allocation).

        :returns: the bytes freed.
        :raises brick.exception.VolumeNotFound: brick placed no such
            volume.
        """
        return volumes_mod.delete(self.db, self.nodes, volume)

    def extend_volume(self, volume: str, size: int) -> 'volume_mod.Volume':
        """Grow a placed volume to *size* bytes, claiming the difference.

        :returns: the :class:`~brick.drivers.volume.Volume`.
        """
        return volumes_mod.extend(self.db, self.nodes, volume, size)

    def snapshot_volume(self, volume: str, name: str
                        ) -> 'volume_mod.Snapshot':
        """Snapshot a placed volume on its node.

        :returns: the :class:`~brick.drivers.volume.Snapshot`.
        """
        names.validate(name, 'snapshot name')
        return volumes_mod.snapshot(self.db, self.nodes, volume, name)

    # -- both --------------------------------------------------------------

    def resume(self, flow_id: str | None = None,
               listener: 'listeners.Callback | None' = None
               ) -> list[Resumed]:
        """Finish flows that a dead process left: flow *flow_id*, or
        every unfinished flow whose owner is gone (or is this process,
        which stopped it early).  Register the boot handlers first; a
        flow whose handler is missing rolls back.  A flow whose owner is
        alive, on any host, is never taken from it.

        :returns: a :class:`Resumed` per flow, in the order they
            started; an error of one flow (a
            :class:`~brick.exception.BrickException`, e.g.
            :class:`~brick.exception.FlowBusy` if another process took
            it first) is its outcome and does not stop the others.
        :raises brick.exception.FlowNotFound: *flow_id* is unknown or
            finished.
        :raises brick.exception.FlowBusy: *flow_id*'s owner is alive.
        """
        runner = self.runner
        pending: Sequence[persistence.Pending | str]
        if flow_id is not None:
            pending = [runner.store.pending(flow_id)] \
                if runner.store is not None else [flow_id]
        else:
            pending = runner.unfinished()
        done = []
        for one in pending:
            consumer = None if isinstance(one, str) else one.consumer
            one_id = one if isinstance(one, str) else one.flow_id
            try:
                found = runner.resume(one, listener)
            except exception.BrickException as err:
                if flow_id is not None and isinstance(
                        err, exception.FlowNotFound | exception.FlowBusy):
                    raise
                done.append(Resumed(one_id, consumer, err))
                continue
            done.append(Resumed(one_id, consumer,
                                Placement.from_results(found)))
        return done

    def result(self, flow_id: str, timeout: float | None = None
               ) -> Placement:
        """The outcome of a placement posted to the jobboard.

        :param flow_id: its :attr:`Posted.flow_id`.
        :param timeout: seconds to wait for it (default
            ``[brick_workflow]job_timeout``; 0: do not wait).
        :returns: its :class:`Placement`.
        :raises brick.exception.BrickException: the error it ended with.
        :raises brick.exception.PlacementPending: not done yet.
        :raises brick.exception.FlowNotFound: no such placement.
        """
        if self.poster is None:
            raise exception.InvalidValue(
                field='[brick_workflow]jobboard_url', value=None,
                allowed='a jobboard URL: API.result is for posted '
                        'placements')
        if timeout is None:
            timeout = self.conf.brick_workflow.job_timeout
        return _outcome(self.poster.wait(flow_id, timeout=timeout))

    def _place(self, kind: str, consumer: str,
               flavor: dict[str, str] | None, hints: dict[str, Any] | None,
               args: Mapping[str, object],
               volume_names: Sequence[str] | None, pattern: str,
               listener: 'listeners.Callback | None',
               extra: Mapping[str, str], wait: bool) -> Placement | Posted:
        for field, value in (('flavor', flavor), ('hints', hints)):
            if value is not None and not isinstance(value, dict):
                raise exception.InvalidValue(
                    field=field, value=value,
                    allowed='a dict {key: value}, or None')
        if listener is not None and not callable(listener):
            raise exception.InvalidValue(
                field='listener', value=listener,
                allowed='a callable taking a brick.workflow.listeners.Event'
                        ', or None')
        # A boot's volumes stay on its host unless asked.
        request = tasks.stored_request(
            kind, flavor, hints, {k: _plain(v) for k, v in args.items()
                                  if v is not None})
        spec = tasks.build_spec(request, consumer)
        if not spec.volumes:
            raise exception.InvalidValue(
                field='local storage', value='none',
                allowed='a size, a count of volumes or a flavor with '
                        'brick:local_gb')
        count = len(spec.volumes)
        if volume_names is None:
            volume_names = [consumer] if kind == 'volume' and count == 1 \
                else [pattern % (i + 1) for i in range(count)]
        volume_names = [names.validate(n, 'volume name')
                        for n in volume_names]
        if len(volume_names) != count:
            raise exception.InvalidValue(
                field='volume_names', value=volume_names,
                allowed='%d name(s), one per volume' % count)
        group = self.conf.brick_workflow
        inputs: dict[str, Any] = dict(
            extra, request=request, consumer=consumer,
            volume_names=volume_names, flow_id=str(uuid.uuid4()))
        poster = self.poster
        if poster is None:
            if not wait:
                raise exception.InvalidValue(
                    field='wait', value=wait,
                    allowed='True without [brick_workflow]jobboard_url')
            return Placement.from_results(self.runner.run(
                inputs, kind, group.attempts, group.reserve_count, listener,
                spec=spec))
        job = poster.post(jobs.Spec(inputs['flow_id'], kind, group.attempts,
                                    group.reserve_count, inputs))
        if not wait:
            return Posted(inputs['flow_id'], job.uuid)
        return _outcome(poster.wait(inputs['flow_id'], job,
                                    group.job_timeout))


def resume(conf: cfg.ConfigOpts, flow_id: str | None = None,
           nodes: 'Iterable[node_base.Node] | None' = None,
           handlers: Mapping[str, handlers_mod.BootHandler
                             | handlers_mod.BootFunction] | None = None,
           listener: 'listeners.Callback | None' = None) -> list[Resumed]:
    """Finish interrupted placement flows (``brick flow resume``).

    :param conf: a ``ConfigOpts`` with brick's options registered and
        the configuration files read.
    :param flow_id: one flow, or None for every unfinished flow whose
        owner is gone.
    :param nodes: the :class:`~brick.node.base.Node` objects; default
        this host's :class:`~brick.node.agent.NodeAgent` from ``conf``,
        or with a message broker configured none: every host, this one
        too, is reached through its ``brick-node``, so a flow started on
        another host can still delete its volumes.
    :param handlers: ``{name: BootHandler or callable}``; a boot flow
        whose handler is missing rolls back.
    :param listener: optional ``callback(Event)``.
    :returns: as :meth:`API.resume`.
    """
    if nodes is None:
        if 'brick_node' not in conf:
            brick.conf.register_opts(conf)
        nodes = [] if remote_mod.from_conf(conf) is not None else [
            agent.NodeAgent.from_conf(conf)]
    api = API(conf, nodes=nodes)
    for name, handler in (handlers or {}).items():
        api.handlers.register(name, handler)
    try:
        return api.resume(flow_id, listener)
    finally:
        api.close()
