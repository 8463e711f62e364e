# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``brick-node``: one host's drivers, served over oslo.messaging RPC.

Addressed as nova-compute and cinder-volume are: topic ``brick-node``,
server ``[brick_node]host``, oslo.messaging's threading executor
(its choice when nothing is monkey-patched, and brick never patches;
``[DEFAULT]executor_thread_pool_size`` calls at once).  The service
holds no database credentials: it answers calls
(:class:`~brick.node.manager.NodeManager`), casts its reports to the
monitors (:class:`~brick.node.reporter.Reporter`) and, with
``[brick_coordination]backend_url``, heartbeats in the tooz group
(:class:`~brick.node.liveness.Membership`).

Start-up order: check the pools, reach the broker (a clear error naming
the URL, not a hang, when it is down), join the group, listen, send a
full report.  Stopping does it backwards and tells the monitors first,
so that the host is marked down at once rather than after the heartbeat
timeout.
"""

import threading
from typing import Any

from oslo_config import cfg
from oslo_log import log as logging

from brick import exception
from brick.node import agent as agent_mod
from brick.node import liveness
from brick.node import manager
from brick.node import messaging
from brick.node import reporter as reporter_mod
from brick.node import rpcapi

LOG = logging.getLogger(__name__)


class NodeService:
    """The ``brick-node`` service of this host.

    The constructor stores its arguments; :meth:`start` connects.

    :param conf: brick's ``ConfigOpts``.
    :param agent: the :class:`~brick.node.agent.NodeAgent` to serve;
        default from ``conf``.
    """

    def __init__(self, conf: cfg.ConfigOpts,
                 agent: agent_mod.NodeAgent | None = None) -> None:
        self.conf = conf
        self.agent = agent
        # oslo.messaging's transport and server (the library is untyped).
        self.transport: Any = None
        self.server: Any = None
        self.membership: liveness.Membership | None = None
        self.reporter: reporter_mod.Reporter | None = None
        self._thread: threading.Thread | None = None
        self._monitors: rpcapi.MonitorAPI | None = None

    def start(self) -> 'NodeService':
        """Start serving.

        :raises brick.exception.InvalidValue: no broker configured.
        :raises brick.exception.BrokerUnavailable: the broker does not
            answer.
        :raises brick.exception.CoordinationUnavailable: the coordination
            backend does not answer.
        """
        import oslo_messaging

        conf = self.conf
        url = messaging.transport_url(conf)
        if not url:
            raise exception.InvalidValue(
                field='[brick_node]transport_url', value=None,
                allowed='the URL of the message broker brick-node listens '
                        'on, e.g. rabbit://user:pass@host:5672/')
        if self.agent is None:
            self.agent = agent_mod.NodeAgent.from_conf(conf)
        for pool in self.agent.names():
            try:
                self.agent.driver(pool)
            except exception.BrickException as err:
                # Served anyway: reports list it as broken, calls on it
                # fail with this error, the other pools work.
                LOG.error('Pool %s of %s is not usable: %s', pool,
                          self.agent.host, err)
        self.transport = messaging.get_transport(conf, url)
        try:
            messaging.check_broker(conf, self.transport, url)
            group = conf.brick_node
            monitors = rpcapi.MonitorAPI(
                self.transport, group.connect_retries, url,
                messaging.option_of(conf))
            coordination = liveness.backend_url(conf)
            if coordination:
                self.membership = liveness.Membership(
                    coordination, conf.brick_coordination.group,
                    self.agent.host)
                self.membership.start()
            timeout = conf.brick_coordination.heartbeat_timeout
            self.reporter = reporter_mod.Reporter(
                self.agent, monitors.node_report, group.report_interval,
                group.full_report_interval,
                tick=self.membership.check if self.membership else None,
                tick_every=max(1.0, timeout / 2.0))
            self.server = oslo_messaging.get_rpc_server(
                self.transport, oslo_messaging.Target(
                    topic=rpcapi.NODE_TOPIC, server=self.agent.host),
                [manager.NodeManager(self.agent, self.reporter.changed,
                                     self.reporter.request)])
            self.server.start()
            self._monitors = monitors
            self._thread = threading.Thread(target=self.reporter.run,
                                            name='brick-node-reports',
                                            daemon=True)
            self._thread.start()
        except BaseException:
            self.stop()
            raise
        LOG.info('brick-node %s serving pools %s on %s', self.agent.host,
                 ', '.join(self.agent.names()), messaging.masked(url))
        return self

    def stop(self) -> None:
        """Stop serving (idempotent)."""
        monitors = getattr(self, '_monitors', None)
        if monitors is not None and self.agent is not None:
            try:
                monitors.node_stopping(self.agent.host)
            except Exception as err:
                LOG.debug('Could not tell the monitors: %s', err)
            self._monitors = None
        if self.membership is not None:
            self.membership.stop()
            self.membership = None
        if self.server is not None:
            messaging.stop_server(self.server)
            self.server = None
        if self.reporter is not None:
            self.reporter.stop()
            if self._thread is not None:
                self._thread.join(10)
            self.reporter = self._thread = None
        if self.transport is not None:
            self.transport.cleanup()
            self.transport = None
