# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The ``[brick_conductor]`` group: the ``brick-conductor`` service (see
:mod:`brick.workflow.conductor`)."""

import socket

from oslo_config import cfg

import brick.conf

GROUP = cfg.OptGroup(
    'brick_conductor',
    title='Conductor',
    help='The brick-conductor service: it claims placement jobs from '
         '[brick_workflow]jobboard_url and runs them.')

OPTS = [
    cfg.StrOpt(
        'name',
        default=socket.gethostname(),
        sample_default='<the host name>',
        help="""
The conductor's name on the jobboard (its process id is added), as shown
as the owner of the jobs it claimed.
"""),
    cfg.IntOpt(
        'workers',
        default=4,
        min=1,
        help="""
Jobs one conductor runs at the same time, each in a thread of its own.
Run more conductors (on other machines too) to spread the load and to
survive one of them dying.
"""),
    cfg.FloatOpt(
        'claim_expiry',
        default=30.0,
        min=1.0,
        help="""
Seconds a Redis claim on a job lasts; the conductor running the job
pushes it forward every quarter of that.  When a conductor dies, other
conductors resume its jobs after at most this time.  A ZooKeeper claim
ends with the conductor's session instead, after its ``timeout``.
"""),
    cfg.FloatOpt(
        'poll_interval',
        default=0.5,
        min=0.01,
        help="""
Seconds an idle conductor waits before looking at the jobboard again.
"""),
    cfg.StrOpt(
        'nodes',
        default='local',
        help="""
Which nodes the conductor reaches, by the name of a ``brick.conductor.nodes``
plugin: ``local`` is this host's node (``[brick_node]``), ``remote`` none
(every host through its ``brick-node`` over the message broker: a
conductor on a host without storage), ``lab`` a node per host of
``[brick_conductor]lab_hosts`` in this process (tests and all-in-one labs).
With a broker configured, a host without a node in the conductor is
reached through its ``brick-node`` whichever plugin is named.
"""),
    cfg.ListOpt(
        'lab_hosts',
        default=[],
        help="""
For ``nodes = lab``: the hosts whose nodes run inside the conductor,
each with the file pools of ``[brick_conductor]lab_pools`` under
``[brick]data_dir/hosts/HOST/POOL``.
"""),
    cfg.ListOpt(
        'lab_pools',
        default=['raw', 'qcow2'],
        help="""
For ``nodes = lab``: the pools of each lab host, named after their file
driver (``raw``, ``qcow2``, ``vdi``).
"""),
    cfg.ListOpt(
        'boot_handlers',
        default=[],
        help="""
Boot handlers the conductor loads, by the names of their
``brick.boot_handlers`` entry points (the compute service's package
declares them); each is registered under its name.  A boot job whose
handler is not loaded rolls back with HandlerNotFound.
"""),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    brick.conf.register_group(conf, GROUP, OPTS)


def list_opts() -> dict[cfg.OptGroup, list[cfg.Opt]]:
    return {GROUP: OPTS}
