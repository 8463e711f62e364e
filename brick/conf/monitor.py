# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The ``[brick_monitor]`` group: the control-side service that writes
node reports, reconciles them and tracks liveness
(:mod:`brick.node.monitor`)."""

import socket

from oslo_config import cfg

import brick.conf

GROUP = cfg.OptGroup(
    'brick_monitor',
    title='Node monitor',
    help='brick node monitor: writes the capacity reports brick-node '
         'services send, reconciles them with the inventory and marks '
         'hosts up or down from their tooz heartbeats.')

OPTS: list[cfg.Opt] = [
    cfg.StrOpt(
        'host',
        default=socket.gethostname(),
        sample_default='<the host name>',
        help="""
Name of this monitor's RPC server.  Several monitors may run (one per
control host): reports are shared out between them.
"""),
    cfg.IntOpt(
        'liveness_interval',
        default=5,
        min=1,
        help="""
Seconds between two reads of the tooz group's members (see
``[brick_coordination]heartbeat_timeout``), and between two looks for
orphans past ``orphan_grace``, whose nodes are asked for a full report
then.  Only changes of a host's state are written to the database.
"""),
    cfg.IntOpt(
        'orphan_grace',
        default=900,
        min=0,
        help="""
Seconds an orphan (a volume brick made for a placement that was then
rolled back, but that could not be deleted at the time: its node was
unreachable, or its create timed out) is left alone before the monitor
asks its node to delete it (once the grace is over, the monitor asks
that node for a report, at most once per grace period).  Until then it
is reported by ``brick node reconcile`` and counts as used.  Volumes no
record explains are never deleted: they are adopted (made outside the
workflow) or reported.
"""),
    cfg.BoolOpt(
        'delete_orphans',
        default=True,
        help="""
Let the monitor and ``brick node reconcile`` delete orphans older than
``[brick_monitor]orphan_grace``.  Off: they are only reported.
"""),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    brick.conf.register_group(conf, GROUP, OPTS)


def list_opts() -> dict[cfg.OptGroup, list[cfg.Opt]]:
    return {GROUP: OPTS}
