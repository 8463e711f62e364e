# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.

"""The ``[brick_executor]`` group: how brick runs external commands."""

from oslo_config import cfg

import brick.conf

GROUP = cfg.OptGroup(
    'brick_executor',
    title='Command executor',
    help='How brick runs lvm2, qemu-img and other programs.')

OPTS: list[cfg.Opt] = [
    cfg.StrOpt(
        'root_helper',
        default='',
        help="""
Command prefixed to every command that needs root, for example
``sudo`` or ``sudo brick-rootwrap /etc/brick/rootwrap.conf``.

Leave it empty when brick already runs as root, or when
``[brick_executor]use_privsep`` is set.
"""),
    cfg.BoolOpt(
        'use_privsep',
        default=False,
        help="""
Run commands that need root through an oslo.privsep daemon (context
``brick.privileged.default``) instead of ``[brick_executor]root_helper``.
The daemon runs only brick's own operations (lvm2 reports and LV changes,
losetup, qemu-img convert to or from an LV, udevadm settle), each
checked inside the daemon; a command with no such operation fails with
NotSupported, and so does an image import or export with a progress bar.
"""),
    cfg.IntOpt(
        'command_timeout',
        default=600,
        min=1,
        help="""
Seconds an external command may run before brick kills it and raises
CommandTimeout.  Copying a large image may need more; a hung LVM command
holding a VG lock is the case this guards against.
"""),
    cfg.IntOpt(
        'lock_retries',
        default=3,
        min=0,
        help="""
How many more times brick runs an LVM command that failed because another
process held the volume group's lock.  Other failures are never retried.
"""),
    cfg.FloatOpt(
        'lock_retry_interval',
        default=0.5,
        min=0,
        help="""
Seconds to wait before the first retry of an LVM command that hit a lock;
each later retry waits twice as long as the one before.
"""),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    brick.conf.register_group(conf, GROUP, OPTS)


def list_opts() -> dict[cfg.OptGroup, list[cfg.Opt]]:
    return {GROUP: OPTS}
