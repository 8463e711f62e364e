# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The nodes a conductor reaches: ``brick.conductor.nodes`` plugins.

A plugin is ``nodes(conf) -> [Node]`` (:class:`brick.node.base.Node`
objects), named by ``[brick_conductor]nodes``.  The workflow only calls
the :class:`~brick.node.base.Node` interface, so a plugin of remote
nodes (one per inventory host, over RPC) serves conductors on machines
that hold no storage, with no change here.
"""

import os

from stevedore import driver

from brick import drivers
from brick import exception
from brick.node import agent
from brick.node import messaging

NAMESPACE = 'brick.conductor.nodes'


def local(conf):
    """This host's node, from ``[brick_node]``."""
    return [agent.NodeAgent.from_conf(conf)]


def remote(conf):
    """No node in this process: every host is reached through its
    ``brick-node`` over the message broker (a conductor on a control
    host that holds no storage).

    :raises brick.exception.InvalidValue: no broker is configured.
    """
    if not messaging.transport_url(conf):
        raise exception.InvalidValue(
            field='[brick_conductor]nodes', value='remote',
            allowed='remote with [brick_node]transport_url (or '
                    '[DEFAULT]transport_url) set; without a broker, local '
                    'or lab')
    return []


def lab(conf):
    """A node per host of ``[brick_conductor]lab_hosts``, in this
    process, each with the file pools of ``[brick_conductor]lab_pools``
    in ``[brick]data_dir/hosts/HOST/POOL`` (tests, demos, all-in-one
    labs)."""
    group = conf.brick_conductor
    found = []
    for host in group.lab_hosts:
        pools = {pool: drivers.load(pool, pool=pool, path=os.path.join(
            conf.brick.data_dir, 'hosts', host, pool))
            for pool in group.lab_pools}
        found.append(agent.NodeAgent(host, pools))
    return found


def load(conf):
    """The nodes of the ``[brick_conductor]nodes`` plugin.

    :raises brick.exception.InvalidValue: no such plugin.
    """
    name = conf.brick_conductor.nodes
    try:
        plugin = driver.DriverManager(NAMESPACE, name).driver
    except (RuntimeError, LookupError) as err:
        raise exception.InvalidValue(
            field='[brick_conductor]nodes', value=name,
            allowed='the name of a %s plugin (local, remote, lab)'
                    % NAMESPACE) \
            from err
    return list(plugin(conf))
