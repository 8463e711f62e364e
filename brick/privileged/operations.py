# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The privsep entry points: one per operation brick needs root for.

Each runs in the daemon, checks its whole command line and environment
there (:mod:`brick.privileged.rules`), and only then runs it with
processutils.  The unprivileged side picks the entry point for a
command it built with :func:`route`; picking the wrong one, or calling
one with anything brick would not build, is refused inside the daemon.
"""

import math
import typing

from oslo_concurrency import processutils

from brick.privileged import default
from brick.privileged import rules

PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
"""Where root's programs are found; nothing of the caller's environment
is passed on but what :func:`brick.privileged.rules.environment`
allows."""


def _execute(argv: tuple[str, ...], env: dict[str, str],
             timeout: float) -> tuple[str, str]:
    return processutils.execute(
        *argv, env_variables=dict(rules.environment(env), PATH=PATH),
        timeout=math.ceil(timeout))


@default.entrypoint
def lvm_report(argv: list[str], env: dict[str, str],
               timeout: float) -> tuple[str, str]:
    """``lvm vgs`` or ``lvm lvs``, a JSON report."""
    return _execute(rules.lvm(argv, ('vgs', 'lvs')), env, timeout)


@default.entrypoint
def lv_create(argv: list[str], env: dict[str, str],
              timeout: float) -> tuple[str, str]:
    """``lvm lvcreate``: a linear or thin LV, a thin pool or snapshot."""
    return _execute(rules.lvm(argv, ('lvcreate',)), env, timeout)


@default.entrypoint
def lv_extend(argv: list[str], env: dict[str, str],
              timeout: float) -> tuple[str, str]:
    """``lvm lvextend --size``."""
    return _execute(rules.lvm(argv, ('lvextend',)), env, timeout)


@default.entrypoint
def lv_remove(argv: list[str], env: dict[str, str],
              timeout: float) -> tuple[str, str]:
    """``lvm lvremove --yes``, by name or selection."""
    return _execute(rules.lvm(argv, ('lvremove',)), env, timeout)


@default.entrypoint
def lv_rename(argv: list[str], env: dict[str, str],
              timeout: float) -> tuple[str, str]:
    """``lvm lvrename VG OLD NEW``."""
    return _execute(rules.lvm(argv, ('lvrename',)), env, timeout)


@default.entrypoint
def lv_change(argv: list[str], env: dict[str, str],
              timeout: float) -> tuple[str, str]:
    """``lvm lvchange --activate y|n``."""
    return _execute(rules.lvm(argv, ('lvchange',)), env, timeout)


@default.entrypoint
def lv_merge(argv: list[str], env: dict[str, str],
             timeout: float) -> tuple[str, str]:
    """``lvm lvconvert --merge`` of a snapshot."""
    return _execute(rules.lvm(argv, ('lvconvert',)), env, timeout)


@default.entrypoint
def loop_device(argv: list[str], env: dict[str, str],
                timeout: float) -> tuple[str, str]:
    """``losetup``: list, attach a file, detach or refresh a device."""
    return _execute(rules.losetup(argv), env, timeout)


@default.entrypoint
def image_copy(argv: list[str], env: dict[str, str],
               timeout: float) -> tuple[str, str]:
    """``qemu-img convert`` to or from a logical volume."""
    return _execute(rules.qemu_img_convert(argv), env, timeout)


@default.entrypoint
def udev_settle(timeout: float) -> tuple[str, str]:
    """``udevadm settle``: wait for udev to finish device events."""
    return processutils.execute('udevadm', 'settle',
                                timeout=math.ceil(timeout),
                                env_variables={'PATH': PATH})


_ROUTES: dict[tuple[str, ...], typing.Callable[..., tuple[str, str]]] = {
    ('lvm', 'vgs'): lvm_report, ('lvm', 'lvs'): lvm_report,
    ('lvm', 'lvcreate'): lv_create, ('lvm', 'lvextend'): lv_extend,
    ('lvm', 'lvremove'): lv_remove, ('lvm', 'lvrename'): lv_rename,
    ('lvm', 'lvchange'): lv_change, ('lvm', 'lvconvert'): lv_merge,
    ('qemu-img', 'convert'): image_copy,
}


def route(argv: typing.Sequence[str]
          ) -> typing.Callable[..., tuple[str, str]] | None:
    """The entry point for the command *argv* brick built, or None if
    brick has none (the command cannot run through privsep)."""
    if argv and argv[0] == 'losetup':
        return loop_device
    if len(argv) == 2 and tuple(argv) == ('udevadm', 'settle'):
        return lambda argv, env, timeout: udev_settle(timeout)
    return _ROUTES.get(tuple(argv[:2]))
