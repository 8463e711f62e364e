# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The ``[brick_coordination]`` group: node liveness through tooz
(:mod:`brick.node.liveness`)."""

from oslo_config import cfg

import brick.conf

GROUP = cfg.OptGroup(
    'brick_coordination',
    title='Node liveness',
    help='The tooz coordination backend that brick-node services join and '
         'heartbeat in, and how soon a silent node counts as down.')

OPTS: list[cfg.Opt] = [
    cfg.StrOpt(
        'backend_url',
        secret=True,
        sample_default='redis://redis.example.org:6379',
        help="""
tooz coordination URL: ``redis://HOST:PORT``, ``zookeeper://HOST:PORT``
or ``etcd3+http://HOST:PORT`` (any tooz driver with group membership
works).  Each ``brick-node`` joins the group ``[brick_coordination]group``
and heartbeats; ``brick node monitor`` marks a host ``down`` (with the
reason, which the scheduler's ``state`` filter shows) once its node left
the group or stopped heartbeating, and ``up`` again when it is back.
Unset: no liveness tracking; host states change only by hand, as in the
embedded default.
"""),
    cfg.StrOpt(
        'group',
        default='brick-nodes',
        help="""
Name of the tooz group every ``brick-node`` joins.  Sites sharing one
coordination backend use one group each.
"""),
    cfg.IntOpt(
        'heartbeat_timeout',
        default=30,
        min=1,
        help="""
Seconds without a heartbeat after which a node is gone from the group
(tooz's ``membership_timeout`` for Redis and etcd, the session timeout
for ZooKeeper; a value in the URL wins).  A node heartbeats every
``heartbeat_timeout / 2`` seconds or more often.  A host is marked down
at most ``heartbeat_timeout + [brick_monitor]liveness_interval`` seconds
after its node stopped, and a scheduler sees it after its next refresh
(``[brick_scheduler]refresh_interval``).  Shorter detects failures sooner
but takes a node that pauses (a long garbage collection, a stalled
disk) for a dead one.
"""),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    brick.conf.register_group(conf, GROUP, OPTS)


def list_opts() -> dict[cfg.OptGroup, list[cfg.Opt]]:
    return {GROUP: OPTS}
