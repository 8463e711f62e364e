# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The node side: what runs on the host that owns the storage.

:class:`~brick.node.base.Node` is the one interface the control side
(:mod:`brick.workflow`, :mod:`brick.api`) talks to; it creates, deletes,
extends and snapshots volumes of one host's pools and reports their
capacity.  :class:`~brick.node.agent.NodeAgent` implements it in
process, through the host's drivers.  A remote implementation (taskflow
workers over a message broker) can replace it without touching the flow.
:class:`~brick.node.directory.Directory` finds the node of a host.
"""
