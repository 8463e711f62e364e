# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``brick node monitor``: the control side of the nodes.

The one place node reports reach the database: it serves the monitor
RPC API (topic ``brick-monitor``; every monitor takes a share of the
reports) and for each report runs the census
(:func:`brick.inventory.census.apply`: write, reconcile, adopt), then
asks the node to delete orphans whose grace period is over.  Every
``[brick_monitor]liveness_interval`` seconds it asks the nodes of pools
with orphans past their grace for a full report (reports are
incremental: a quiet pool sends none, and its orphans would wait for
``[brick_node]full_report_interval``), and with
``[brick_coordination]backend_url`` it reads the tooz group and marks
hosts down or up (:func:`brick.node.liveness.apply`).  When it starts
it asks every node for a full report (a fanout cast), as cinder's
scheduler asks the volume services for their capabilities when it starts
(``request_service_capabilities`` in
https://opendev.org/openstack/cinder/src/branch/master/cinder/scheduler/manager.py).

Several monitors may run, one per control host: reports are shared out
by the broker, and liveness changes are conditional updates that two
monitors make at most once.
"""

import threading
import time
from typing import Any

from oslo_config import cfg
from oslo_log import log as logging

from brick import exception
from brick.db import engine
from brick.inventory import census
from brick.inventory import orphans
from brick.node import base
from brick.node import liveness
from brick.node import messaging
from brick.node import remote as remote_mod
from brick.node import report as report_mod
from brick.node import rpcapi

LOG = logging.getLogger(__name__)


class MonitorManager:
    """The monitor API endpoint (see :mod:`brick.node.rpcapi`)."""

    def __init__(self, monitor: 'Monitor') -> None:
        import oslo_messaging

        self.target = oslo_messaging.Target(version=rpcapi.MONITOR_VERSION)
        self.monitor = monitor

    def node_report(self, context: dict, report: dict) -> None:
        self.monitor.received(report)

    def node_stopping(self, context: dict, host: str) -> None:
        self.monitor.stopping(host)


class Monitor:
    """Writes reports, deletes orphans, tracks liveness.

    :param conf: brick's ``ConfigOpts``.
    :param db: the inventory :class:`~brick.db.engine.Database`.
    """

    def __init__(self, conf: cfg.ConfigOpts, db: engine.Database) -> None:
        self.conf = conf
        self.db = db
        self.nodes: remote_mod.RemoteNodes | None = None
        self.server: Any = None  # oslo.messaging's (untyped)
        self.watcher: liveness.Watcher | None = None
        self.stopped: dict[str, str] = {}
        """``{host: time}`` of nodes that said they were stopping."""
        self.censuses = 0
        self._asked: dict[str | None, float] = {}
        """``{host: monotonic time}`` of the last report asked for its
        overdue orphans (None: a shared pool's, asked of every node)."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> 'Monitor':
        """:raises brick.exception.BrokerUnavailable: no broker.
        :raises brick.exception.CoordinationUnavailable: a coordination
            URL is set and its backend does not answer."""
        import oslo_messaging

        self.nodes = remote_mod.from_conf(self.conf)
        if self.nodes is None:
            raise exception.InvalidValue(
                field='[brick_node]transport_url', value=None,
                allowed='the URL of the message broker the brick-node '
                        'services report to')
        try:
            self.nodes.api  # noqa: B018 (checks the broker first)
            url = liveness.backend_url(self.conf)
            if url:
                self.watcher = liveness.Watcher(
                    url, self.conf.brick_coordination.group)
                self.watcher.start()
            self._thread = threading.Thread(
                target=self._watch, name='brick-monitor', daemon=True)
            self._thread.start()
            self.server = oslo_messaging.get_rpc_server(
                self.nodes.transport, oslo_messaging.Target(
                    topic=rpcapi.MONITOR_TOPIC,
                    server=self.conf.brick_monitor.host),
                [MonitorManager(self)])
            self.server.start()
            self.nodes.request_reports()
        except BaseException:
            self.stop()
            raise
        LOG.info('brick node monitor %s started',
                 self.conf.brick_monitor.host)
        return self

    def received(self, primitive: Any) -> census.Census | None:
        """Apply one report sent by a node (errors are logged: a bad
        report must not stop the monitor)."""
        try:
            report = report_mod.NodeReport.from_primitive(primitive)
        except exception.BrickException as err:
            LOG.error('Dropped a malformed node report: %s', err)
            return None
        try:
            return self.reconcile(report)
        except Exception:
            LOG.exception('Could not apply the report of %s', report.host)
            return None

    def reconcile(self, report: report_mod.NodeReport,
                  dry_run: bool = False) -> census.Census:
        """Run the census of *report*, then ask its node to delete the
        orphans it names (unless *dry_run*).

        :returns: the :class:`~brick.inventory.census.Census`.
        """
        group = self.conf.brick_monitor
        found = census.apply(self.db, report, grace=group.orphan_grace,
                             dry_run=dry_run,
                             delete_orphans=group.delete_orphans)
        with self._lock:
            self.censuses += 1
        if not dry_run:
            assert self.nodes is not None, 'the monitor is not started'
            delete(self.nodes.get(report.host), found, self.nodes.api)
        return found

    def stopping(self, host: str) -> None:
        with self._lock:
            self.stopped[host] = engine.utcnow().isoformat(
                timespec='seconds') + 'Z'
        self.check_liveness()

    def check_liveness(self) -> list[tuple[str, str]]:
        """Read the group once and write the changes; returns them."""
        if self.watcher is None:
            return []
        try:
            alive = self.watcher.alive()
        except exception.CoordinationUnavailable as err:
            LOG.warning('Host states left as they are: %s', err)
            return []
        with self._lock:
            for host in alive:
                self.stopped.pop(host, None)
            stopped = dict(self.stopped)
        return liveness.apply(
            self.db, alive, self.conf.brick_coordination.heartbeat_timeout,
            stopped)

    def check_orphans(self) -> list[str | None]:
        """Ask for a full report from the nodes of pools whose orphans are
        past ``[brick_monitor]orphan_grace``, at most once a grace period
        (or liveness interval) per node; returns the hosts asked (None:
        every node, for a shared pool)."""
        group = self.conf.brick_monitor
        if not group.delete_orphans or self.nodes is None:
            return []
        overdue = orphans.hosts_of_overdue(self.db, group.orphan_grace)
        now = time.monotonic()
        period = max(group.orphan_grace, group.liveness_interval)
        asked: list[str | None] = []
        for host in sorted(overdue, key=lambda name: name or ''):
            if now - self._asked.get(host, now - period) < period:
                continue
            self._asked[host] = now
            try:
                if host is None:
                    self.nodes.request_reports()
                else:
                    self.nodes.api.cast(host, 'send_report', full=True)
            except exception.BrickException as err:
                LOG.warning('Could not ask %s for a report of its %d '
                            'overdue orphan(s): %s', host or 'every node',
                            overdue[host], err)
                continue
            asked.append(host)
        return asked

    def _watch(self) -> None:
        while not self._stop.wait(self.conf.brick_monitor.liveness_interval):
            for check in (self.check_liveness, self.check_orphans):
                try:
                    check()
                except Exception:
                    LOG.exception('Monitor check %s failed', check.__name__)

    def stop(self) -> None:
        self._stop.set()
        if self.server is not None:
            messaging.stop_server(self.server)
            self.server = None
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None
        if self.nodes is not None:
            self.nodes.close()
            self.nodes = None


def delete(node: base.Node, found: census.Census,
           api: rpcapi.NodeAPI | None = None) -> list[str]:
    """Ask *node* to delete the orphans of census *found*; a node too old
    for it (RPC 1.0) or unreachable is logged, not raised.

    :returns: the volumes it deleted.
    """
    done: list[str] = []
    if api is not None and found.deletions and not api.can_send_version(
            '1.1'):
        LOG.warning('Not deleting %d orphan(s) on %s: '
                    '[brick_node]rpc_version_cap is below 1.1',
                    len(found.deletions), found.host)
        return done
    for deletion in found.deletions:
        try:
            if node.delete_orphan(deletion.pool, deletion.volume,
                                  deletion.listed_at):
                done.append(deletion.volume)
        except exception.BrickException as err:
            LOG.warning('Could not delete orphan %s of pool %s on %s: %s',
                        deletion.volume, deletion.pool, found.host, err)
    return done
