# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Finding the :class:`~brick.node.base.Node` of a host."""

from collections.abc import Iterable
from typing import Any

from brick import exception
from brick import names
from brick.node import base


class Directory:
    """The nodes the control side can reach, by host name.

    In the default, one-process deployment it holds a
    :class:`~brick.node.agent.NodeAgent` per host.  With a broker
    configured it also has *remote*, a
    :class:`~brick.node.remote.RemoteNodes`: a host without a node of
    its own here is reached through that host's ``brick-node``.

    :param nodes: :class:`~brick.node.base.Node` objects.
    :param remote: a :class:`~brick.node.remote.RemoteNodes`, or None.
    """

    def __init__(self, nodes: Iterable[base.Node] = (),
                 remote: Any = None) -> None:
        self._nodes: dict[str, base.Node] = {}
        self.remote = remote
        for node in nodes:
            self.add(node)

    def add(self, node):
        """Add *node*, replacing any node of the same host.

        :raises brick.exception.InvalidValue: not a Node.
        """
        if not isinstance(node, base.Node):
            raise exception.InvalidValue(
                field='node', value=node,
                allowed='a brick.node.base.Node (e.g. a NodeAgent)')
        self._nodes[node.host] = node
        return node

    def get(self, host: str) -> base.Node:
        """Return the node of *host*: its own here, else its remote one.

        :raises brick.exception.NotFound: no node for that host (and no
            broker).
        """
        names.validate(host, 'host name')
        try:
            return self._nodes[host]
        except KeyError:
            if self.remote is not None:
                return self.remote.get(host)
            raise exception.NotFound(what='node of host %r (known: %s)' % (
                host, ', '.join(sorted(self._nodes)) or 'none')) from None

    def hosts(self) -> list[str]:
        """Return the names of the hosts with a node here, sorted."""
        return sorted(self._nodes)

    def close(self) -> None:
        """Release the broker connection, if any."""
        if self.remote is not None:
            self.remote.close()

    def __iter__(self):
        return iter([self._nodes[host] for host in self.hosts()])

    def __len__(self):
        return len(self._nodes)
