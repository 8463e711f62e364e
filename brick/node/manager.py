# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Server side of the node RPC API: the endpoint ``brick-node`` serves.

Each method takes and returns plain data and runs the
:class:`~brick.node.agent.NodeAgent` method of the same name (see
:mod:`brick.node.rpcapi` for the versions).  A call that arrives after
its caller's deadline is refused (:class:`~brick.exception.CallExpired`)
before anything runs.  Brick errors are expected answers (a volume of
another size, a full pool): oslo.messaging sends them back and logs them
at debug level, not as server errors.
"""

import dataclasses
import time
from collections.abc import Callable
from typing import Any

from oslo_log import log as logging

from brick import exception
from brick.node import agent as agent_mod
from brick.node import rpcapi

LOG = logging.getLogger(__name__)


def _expected(method: Callable[..., Any]) -> Callable[..., Any]:
    import oslo_messaging

    return oslo_messaging.expected_exceptions(exception.BrickException)(
        method)


class NodeManager:
    """The node API endpoint.

    :param agent: the host's :class:`~brick.node.agent.NodeAgent`.
    :param changed: optional ``callback(pool)`` run after a call changed
        a pool (the service reports it soon).
    :param report_requested: optional ``callback(full)`` for
        ``send_report``.
    """

    def __init__(self, agent: agent_mod.NodeAgent,
                 changed: Callable[[str], None] | None = None,
                 report_requested: Callable[[bool], None] | None = None
                 ) -> None:
        import oslo_messaging

        self.target = oslo_messaging.Target(version=rpcapi.NODE_VERSION)
        self.agent = agent
        self._changed = changed or (lambda pool: None)
        self._report_requested = report_requested or (lambda full: None)

    def _fresh(self, context: dict | None, call: str) -> None:
        context = context or {}
        deadline = context.get('deadline')
        if deadline is not None and time.time() > deadline:
            raise exception.CallExpired(
                host=self.agent.host, call=call,
                late=round(time.time() - deadline, 3),
                timeout=context.get('timeout'))

    @_expected
    def pools(self, context: dict) -> list[str]:
        self._fresh(context, 'pools')
        return self.agent.pools()

    @_expected
    def create_volume(self, context: dict, pool: str, name: str,
                      size: int) -> dict[str, Any]:
        self._fresh(context, 'create_volume')
        try:
            volume, info = self.agent.create_volume(pool, name, size)
        finally:
            self._changed(pool)
        return {'volume': dataclasses.asdict(volume),
                'connection_info': info}

    @_expected
    def delete_volume(self, context: dict, pool: str, name: str) -> None:
        self._fresh(context, 'delete_volume')
        try:
            self.agent.delete_volume(pool, name)
        finally:
            self._changed(pool)

    @_expected
    def extend_volume(self, context: dict, pool: str, name: str,
                      size: int) -> dict[str, Any]:
        self._fresh(context, 'extend_volume')
        try:
            return dataclasses.asdict(self.agent.extend_volume(
                pool, name, size))
        finally:
            self._changed(pool)

    @_expected
    def snapshot_volume(self, context: dict, pool: str, volume: str,
                        name: str) -> dict[str, Any]:
        self._fresh(context, 'snapshot_volume')
        try:
            return dataclasses.asdict(self.agent.snapshot_volume(
                pool, volume, name))
        finally:
            self._changed(pool)

    @_expected
    def report(self, context: dict,
               pools: list[str] | None = None) -> dict[str, Any]:
        self._fresh(context, 'report')
        return self.agent.report(pools).to_primitive()

    def send_report(self, context: dict, full: bool = True) -> None:
        """Cast (often fanned out): report to the monitors soon."""
        self._report_requested(bool(full))

    @_expected
    def delete_orphan(self, context: dict, pool: str, name: str,
                      listed_at: float) -> bool:
        """Added in 1.1."""
        self._fresh(context, 'delete_orphan')
        try:
            return self.agent.delete_orphan(pool, name, listed_at)
        finally:
            self._changed(pool)
