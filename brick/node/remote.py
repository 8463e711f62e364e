# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The control side's view of a node on another host, over RPC.

:class:`RemoteNode` implements :class:`~brick.node.base.Node` with calls
to that host's ``brick-node`` (:mod:`brick.node.rpcapi`), so the
workflow, :mod:`brick.api` and the CLI use it exactly as an in-process
:class:`~brick.node.agent.NodeAgent`.  A call that gets no answer within
``[brick_node]call_timeout`` raises
:class:`~brick.exception.NodeUnreachable`: its outcome is unknown, and
the workflow takes the host for failed (never for a success).

:class:`RemoteNodes` holds the one transport and client a process
shares, made on first use; :func:`from_conf` returns one when a broker
is configured, else None (the embedded default: no broker).
"""

import threading
from collections.abc import Iterable
from typing import Any

from oslo_config import cfg
from oslo_log import log as logging

from brick.drivers import volume as volume_mod
from brick.node import base
from brick.node import messaging
from brick.node import report as report_mod
from brick.node import rpcapi

LOG = logging.getLogger(__name__)


class RemoteNode(base.Node):
    """The node of *host*, reached through *api* (a
    :class:`~brick.node.rpcapi.NodeAPI`)."""

    def __init__(self, host: str, api: Any) -> None:
        self._host = host
        self._api = api

    @property
    def host(self) -> str:
        return self._host

    def __repr__(self) -> str:
        return '<RemoteNode %s>' % self._host

    def pools(self) -> list[str]:
        return sorted(self._api.call(self._host, 'pools'))

    def create_volume(self, pool: str, name: str,
                      size: int
                      ) -> tuple[volume_mod.Volume, volume_mod.ConnectionInfo]:
        found = self._api.call(self._host, 'create_volume', pool=pool,
                               name=name, size=size)
        return volume_mod.Volume(**found['volume']), \
            found['connection_info']

    def delete_volume(self, pool: str, name: str) -> None:
        self._api.call(self._host, 'delete_volume', pool=pool, name=name)

    def extend_volume(self, pool: str, name: str,
                      size: int) -> volume_mod.Volume:
        return volume_mod.Volume(**self._api.call(
            self._host, 'extend_volume', pool=pool, name=name, size=size))

    def snapshot_volume(self, pool: str, volume: str,
                        name: str) -> volume_mod.Snapshot:
        return volume_mod.Snapshot(**self._api.call(
            self._host, 'snapshot_volume', pool=pool, volume=volume,
            name=name))

    def report(self, pools: Iterable[str] | None = None
               ) -> report_mod.NodeReport:
        return report_mod.NodeReport.from_primitive(self._api.call(
            self._host, 'report', pools=None if pools is None
            else list(pools)))

    def delete_orphan(self, pool: str, name: str, listed_at: float) -> bool:
        return bool(self._api.call(self._host, 'delete_orphan',
                                   version='1.1', pool=pool, name=name,
                                   listed_at=listed_at))


class RemoteNodes:
    """The nodes of every host, over one broker.

    The constructor stores the configuration; the transport is made and
    the broker checked (:func:`brick.node.messaging.check_broker`) on the
    first call, so a broker that is down gives a clear error instead of
    a hang.

    :param conf: brick's ``ConfigOpts``.
    :param url: the broker URL.
    """

    def __init__(self, conf: cfg.ConfigOpts, url: str) -> None:
        self.conf = conf
        self.url = url
        self._api: rpcapi.NodeAPI | None = None
        self._transport: Any = None  # oslo.messaging's (untyped)
        self._lock = threading.Lock()

    @property
    def api(self) -> rpcapi.NodeAPI:
        """The :class:`~brick.node.rpcapi.NodeAPI` (made on first use).

        :raises brick.exception.BrokerUnavailable: the broker does not
            answer.
        """
        with self._lock:
            if self._api is None:
                transport = messaging.get_transport(self.conf, self.url)
                try:
                    messaging.check_broker(self.conf, transport, self.url)
                except Exception:
                    transport.cleanup()
                    raise
                group = self.conf.brick_node
                self._transport = transport
                self._api = rpcapi.NodeAPI(
                    transport, group.call_timeout, group.rpc_version_cap,
                    group.connect_retries, self.url,
                    messaging.option_of(self.conf))
            return self._api

    @property
    def transport(self) -> Any:
        """The oslo.messaging transport (made, and the broker checked, on
        first use)."""
        self.api  # noqa: B018 (made on first use)
        return self._transport

    def get(self, host: str) -> RemoteNode:
        """The :class:`RemoteNode` of *host* (nothing is sent yet)."""
        return RemoteNode(host, _Lazy(self))

    def request_reports(self, full: bool = True) -> None:
        """Ask every node to report to the monitors now (fanout cast)."""
        self.api.cast_all('send_report', full=full)

    def close(self) -> None:
        """Release the transport."""
        with self._lock:
            if self._transport is not None:
                self._transport.cleanup()
            self._transport = self._api = None


class _Lazy:
    """Stands for the NodeAPI of a :class:`RemoteNodes` until used."""

    def __init__(self, nodes: RemoteNodes) -> None:
        self._nodes = nodes

    def call(self, *args: Any, **kwargs: Any) -> Any:
        return self._nodes.api.call(*args, **kwargs)


def from_conf(conf: cfg.ConfigOpts) -> RemoteNodes | None:
    """A :class:`RemoteNodes` if a broker is configured
    (:func:`brick.node.messaging.transport_url`), else None."""
    url = messaging.transport_url(conf)
    if not url:
        return None
    return RemoteNodes(conf, url)
