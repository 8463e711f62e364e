# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The ``[brick_node]`` group: this host and its pools, and how the
control side reaches nodes over RPC (:mod:`brick.node.remote`)."""

import socket

from oslo_config import cfg

import brick.conf

GROUP = cfg.OptGroup(
    'brick_node',
    title='This node',
    help='The host brick runs on, the storage pools it manages, and how '
         'control hosts reach the brick-node services of other hosts.')

OPTS: list[cfg.Opt] = [
    cfg.StrOpt(
        'host',
        default=socket.gethostname(),
        sample_default='<the host name>',
        help="""
Name of this host in brick's inventory.  It must match the name the
compute service uses for the same host, or locality cannot be honoured.
"""),
    cfg.ListOpt(
        'pools',
        default=[],
        help="""
Names of the pools on this node.  Each pool NAME is described in its own
``[pool:NAME]`` section with a ``driver`` option and the driver's own
options.

When empty, the node has three file pools under ``[brick]data_dir``:
``raw``, ``qcow2`` and ``vdi``, each using the driver of the same name
in ``pools/<name>``.  This is the embedded default; it needs no other
configuration.
"""),
    cfg.StrOpt(
        'transport_url',
        secret=True,
        sample_default='rabbit://brick:secret@broker.example.org:5672/',
        help="""
oslo.messaging transport URL of the message broker that ``brick-node``
services listen on.  When set (here, or oslo.messaging's own
``[DEFAULT]transport_url``), the control side (placements, ``brick flow
resume``, ``brick node reconcile``) reaches every host's node over RPC
(topic ``brick-node``, server ``[brick_node]host``), and ``brick-node``
serves this host's pools.  Unset: no broker; nodes are in-process
objects the embedding service passes in (the embedded default).
"""),
    cfg.FloatOpt(
        'call_timeout',
        default=60.0,
        min=0.1,
        help="""
Seconds the control side waits for a node's answer to one call (create,
delete, extend, snapshot, report).  A node that does not answer in time
is a failed host: the placement tries another one, and the node refuses
the call if it gets it later.  It must cover the slowest create: a
preallocated volume (``[pool:NAME]preallocation`` ``full``) is written
in full before the node answers.  Shorter detects a stopped node
sooner.
"""),
    cfg.IntOpt(
        'connect_retries',
        default=3,
        min=0,
        help="""
How many times a message is retried while the broker cannot be reached
before the call fails with a clear error naming the broker.  Each retry
waits longer (1, 3, 5... seconds).  oslo.messaging alone would retry
forever.
"""),
    cfg.StrOpt(
        'rpc_version_cap',
        sample_default='1.0',
        help="""
Highest version of the node RPC API the control side sends, for a
rolling upgrade: upgrade the control hosts with this set to the version
of the oldest ``brick-node`` still running, then the nodes, then remove
it.  Unset: the newest this brick knows.  Calls that need a newer
version are skipped (and logged) rather than sent.
"""),
    cfg.IntOpt(
        'report_interval',
        default=60,
        min=1,
        help="""
Seconds between two looks of ``brick-node`` at its pools.  A pool whose
capacity or volumes changed since the last report is reported then
(incremental; unchanged pools send nothing); a create or delete through
the node reports its pool within a second anyway.  This bounds how long
a volume made outside brick-node (``brick volume create``, Ganeti,
``lvcreate``) stays unseen by the scheduler.
"""),
    cfg.IntOpt(
        'full_report_interval',
        default=3600,
        min=1,
        help="""
Seconds between two full reports of ``brick-node`` (every pool, changed
or not), so that a report lost on the way is made up for.  The control
side also asks every node for a full report when ``brick node monitor``
starts.
"""),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    brick.conf.register_group(conf, GROUP, OPTS)


def list_opts() -> dict[cfg.OptGroup, list[cfg.Opt]]:
    return {GROUP: OPTS}
