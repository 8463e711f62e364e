# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The node side: what runs on the host that owns the storage, and how
the control side reaches it.

:class:`~brick.node.base.Node` is the one interface the control side
(:mod:`brick.workflow`, :mod:`brick.api`) talks to; it creates, deletes,
extends and snapshots volumes of one host's pools and describes them
(:mod:`~brick.node.report`: plain data; a node never writes the
database).  :class:`~brick.node.agent.NodeAgent` implements it in
process, through the host's drivers;
:class:`~brick.node.remote.RemoteNode` over oslo.messaging RPC, to the
host's ``brick-node`` (:mod:`~brick.node.service`, serving
:mod:`~brick.node.manager`; versions in :mod:`~brick.node.rpcapi`,
options in :mod:`~brick.node.messaging`).
:class:`~brick.node.directory.Directory` finds the node of a host.

``brick-node`` reports to the control side
(:mod:`~brick.node.reporter`), where :mod:`~brick.node.monitor` writes
the reports (:mod:`brick.inventory.census`) and marks hosts up or down
from their tooz heartbeats (:mod:`~brick.node.liveness`).
"""
