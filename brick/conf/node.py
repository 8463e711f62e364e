# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The ``[brick_node]`` group: this host and its pools."""

import socket

from oslo_config import cfg

import brick.conf

GROUP = cfg.OptGroup(
    'brick_node',
    title='This node',
    help='The host brick runs on and the storage pools it manages.')

OPTS = [
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
]


def register_opts(conf):
    brick.conf.register_group(conf, GROUP, OPTS)


def list_opts():
    return {GROUP: OPTS}
