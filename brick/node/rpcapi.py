# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Client side of the node and monitor RPC APIs.

Versioned as nova's ``compute/rpcapi.py`` is
(https://opendev.org/openstack/nova/src/branch/master/nova/compute/rpcapi.py):
the server's target carries the newest version it serves, each call
names the version it needs, and the client is pinned with a version cap
(``[brick_node]rpc_version_cap``) so control hosts can be upgraded before
the nodes.  Adding an argument or a method is a minor version; the
server keeps accepting every 1.x call.

Node API (topic :data:`NODE_TOPIC`, server = the node's host), version
history:

* 1.0 - ``pools``, ``create_volume``, ``delete_volume``,
  ``extend_volume``, ``snapshot_volume``, ``report``; ``send_report``
  (cast, also fanned out to every node).
* 1.1 - ``delete_orphan``.

Monitor API (topic :data:`MONITOR_TOPIC`, any monitor), version history:

* 1.0 - ``node_report`` and ``node_stopping`` (casts from nodes).

Every call carries a context ``{'deadline': epoch seconds}``; a node
refuses a call that reaches it past its deadline
(:class:`~brick.exception.CallExpired`): its caller has already taken
the host for failed and moved on, so running it late would make a
volume nobody waits for.
"""

import contextlib
import time
from collections.abc import Iterator
from typing import Any

from oslo_log import log as logging

from brick import exception
from brick.node import messaging
from brick.node import report as report_mod

LOG = logging.getLogger(__name__)

NODE_TOPIC = 'brick-node'
MONITOR_TOPIC = 'brick-monitor'
NODE_VERSION = '1.1'
"""The newest node API version this brick speaks (client and server)."""
MONITOR_VERSION = '1.0'


def _oslo() -> Any:
    import oslo_messaging

    return oslo_messaging


def is_broker_error(err: BaseException) -> bool:
    """True for the errors oslo.messaging lets through when the broker
    cannot be reached (its own, or its driver's, kombu and amqp)."""
    om = _oslo()
    if isinstance(err, om.MessageDeliveryFailure | ConnectionError):
        return True
    module = type(err).__module__ or ''
    return module.split('.')[0] in ('kombu', 'amqp')


@contextlib.contextmanager
def _broker_errors(url: str, option: str) -> Iterator[None]:
    """Raise :class:`~brick.exception.BrokerUnavailable` naming *url*
    and *option* for a broker error (:func:`is_broker_error`) inside."""
    try:
        yield
    except Exception as err:
        if is_broker_error(err):
            raise exception.BrokerUnavailable(
                url=url, option=option, reason=err) from err
        raise


class NodeAPI:
    """Calls to ``brick-node`` services.

    :param transport: an oslo.messaging RPC transport
        (:func:`brick.node.messaging.get_transport`).
    :param timeout: seconds to wait for an answer.
    :param version_cap: the highest version to send; None for
        :data:`NODE_VERSION`.
    :param retry: connection retries before a send fails.
    :param url: the broker URL, for messages.
    """

    def __init__(self, transport: Any, timeout: float,
                 version_cap: str | None = None, retry: int = 3,
                 url: str | None = None,
                 option: str = '[brick_node]transport_url') -> None:
        om = _oslo()
        self.timeout = timeout
        self.url = messaging.masked(url)
        self.option = option
        self.version_cap = version_cap or NODE_VERSION
        self.client = om.get_rpc_client(
            transport, om.Target(topic=NODE_TOPIC, version='1.0'),
            version_cap=self.version_cap, timeout=timeout, retry=retry)

    def can_send_version(self, version: str) -> bool:
        return self.client.can_send_version(version)

    def call(self, host: str, method: str, version: str = '1.0',
             **kwargs: Any) -> Any:
        """Call *method* on *host*'s node and return its answer.

        :raises brick.exception.RPCVersionMismatch: *version* is above
            the cap, or the node is older.
        :raises brick.exception.NodeUnreachable: no answer in time.
        :raises brick.exception.BrokerUnavailable: the broker cannot be
            reached.
        :raises brick.exception.BrickException: the node's own error.
        """
        om = _oslo()
        what = '%s (RPC %s)' % (method, version)
        if not self.client.can_send_version(version):
            raise exception.RPCVersionMismatch(
                peer='this control host', call=what, version=version,
                reason='[brick_node]rpc_version_cap is %s' % self.version_cap)
        context = {'deadline': time.time() + self.timeout,
                   'timeout': self.timeout}
        with _broker_errors(self.url, self.option):
            try:
                return self.client.prepare(server=host, version=version).call(
                    context, method, **kwargs)
            except exception.BrickException as err:
                messaging.reraise_clean(err)
            except om.MessagingTimeout as err:
                raise exception.NodeUnreachable(
                    host=host, call=what, timeout=self.timeout,
                    reason='no answer; brick-node on %s is down, stopped or '
                           'cut off from the broker at %s' % (host, self.url)
                ) from err
            except om.RemoteError as err:
                if err.exc_type == 'UnsupportedVersion':
                    raise exception.RPCVersionMismatch(
                        peer='node %s' % host, call=what, version=version,
                        reason='%s; upgrade brick-node there, or set '
                               '[brick_node]rpc_version_cap to its version on '
                               'this host' % err.value) from err
                raise exception.BackendError(
                    reason='node %s failed %s: %s: %s' % (
                        host, what, err.exc_type, err.value)) from err

    def cast(self, host: str, method: str, **kwargs: Any) -> None:
        """Cast *method* to *host*'s node (no answer awaited)."""
        with _broker_errors(self.url, self.option):
            self.client.prepare(server=host).cast({}, method, **kwargs)

    def cast_all(self, method: str, **kwargs: Any) -> None:
        """Cast *method* to every node (fanout)."""
        with _broker_errors(self.url, self.option):
            self.client.prepare(fanout=True).cast({}, method, **kwargs)


class MonitorAPI:
    """Casts from a node to whichever monitor takes them.

    A report is a cast, not a call: the node does not wait, holds no
    reply queue, and the broker shares the reports out between the
    monitors (competing consumers on one queue).
    """

    def __init__(self, transport: Any, retry: int = 3,
                 url: str | None = None,
                 option: str = '[brick_node]transport_url') -> None:
        om = _oslo()
        self.url = messaging.masked(url)
        self.option = option
        self.client = om.get_rpc_client(
            transport, om.Target(topic=MONITOR_TOPIC, version='1.0'),
            retry=retry)

    def _cast(self, method: str, **kwargs: Any) -> None:
        with _broker_errors(self.url, self.option):
            self.client.cast({}, method, **kwargs)

    def node_report(self, report: report_mod.NodeReport) -> None:
        """Send a :class:`~brick.node.report.NodeReport`."""
        self._cast('node_report', report=report.to_primitive())

    def node_stopping(self, host: str) -> None:
        """Say that *host*'s node is shutting down cleanly."""
        self._cast('node_stopping', host=host)
