# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.

"""The ``[brick]`` group: where brick keeps its local state."""

import os

from oslo_config import cfg

import brick.conf

GROUP = cfg.OptGroup(
    'brick',
    title='brick',
    help='Options that apply to every part of brick.')


def default_data_dir() -> str:
    """Return the data directory used when none is configured.

    root gets ``/var/lib/brick``; anyone else ``$XDG_DATA_HOME/brick``
    (``~/.local/share/brick`` by default).
    """
    if os.geteuid() == 0:
        return '/var/lib/brick'
    base = os.environ.get('XDG_DATA_HOME') or os.path.join(
        os.path.expanduser('~'), '.local', 'share')
    return os.path.join(base, 'brick')


OPTS: list[cfg.Opt] = [
    cfg.StrOpt(
        'data_dir',
        default=default_data_dir(),
        sample_default='/var/lib/brick (root) or ~/.local/share/brick',
        help="""
Directory that holds brick's local state: the embedded SQLite database and
the default file pools (``pools/raw``, ``pools/qcow2``, ``pools/vdi``).

It is created on first use with mode 0700.  Pools named in
``[brick_node]pools`` may live anywhere else.
"""),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    brick.conf.register_group(conf, GROUP, OPTS)


def list_opts() -> dict[cfg.OptGroup, list[cfg.Opt]]:
    return {GROUP: OPTS}
