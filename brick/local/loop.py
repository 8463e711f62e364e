# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Loop devices: a raw file seen as a block device (``losetup``).

A file is matched to its loop devices by inode and device number
(``BACK-INO`` and ``BACK-MAJ:MIN`` of ``losetup --list --json``), not by
path: a path can be renamed or reused, an inode cannot while the loop
device holds it.
"""

import dataclasses
import json
import os

from brick import exception

LOSETUP = 'losetup'
_COLUMNS = 'NAME,BACK-FILE,BACK-INO,BACK-MAJ:MIN'


@dataclasses.dataclass(frozen=True)
class LoopDevice:
    """One loop device and the file behind it."""

    name: str
    """The device, e.g. ``/dev/loop3``."""
    back_file: str | None
    back_inode: int | None
    back_device: tuple | None
    """``(major, minor)`` of the file system holding the file."""


def _device_number(text):
    if not text:
        return None
    major, _, minor = str(text).strip().partition(':')
    try:
        return int(major), int(minor)
    except ValueError:
        return None


def parse_list(text):
    """Parse ``losetup --list --json --output NAME,BACK-FILE,BACK-INO,
    BACK-MAJ:MIN`` into :class:`LoopDevice` objects.

    :raises brick.exception.MalformedOutput: not that JSON.
    """
    if not text.strip():
        return []  # older losetup prints nothing when no device is used
    try:
        rows = json.loads(text)['loopdevices']
        return [LoopDevice(row['name'], row.get('back-file'),
                           int(row['back-ino']) if row.get('back-ino')
                           not in (None, '') else None,
                           _device_number(row.get('back-maj:min')))
                for row in rows]
    except (ValueError, KeyError, TypeError) as err:
        raise exception.MalformedOutput(tool='losetup --list --json',
                                        reason=str(err)) from err


class LoopDevices:
    """Attach files to loop devices and find them again.

    :param executor: a :class:`brick.local.executor.Executor`; every
        command runs as root through it.
    """

    def __init__(self, executor):
        self.executor = executor

    def _run(self, *argv):
        return self.executor(LOSETUP, *argv, run_as_root=True)

    def list(self):
        """Every loop device in use."""
        return parse_list(self._run('--list', '--json', '--output',
                                    _COLUMNS).stdout)

    def find(self, path):
        """The loop devices backed by the file *path*, by name.

        :raises brick.exception.NotFound: *path* does not exist.
        """
        try:
            st = os.stat(path)
        except FileNotFoundError:
            raise exception.NotFound(what='file %s' % path) from None
        key = (st.st_ino, (os.major(st.st_dev), os.minor(st.st_dev)))
        return sorted(device.name for device in self.list()
                      if (device.back_inode, device.back_device) == key)

    def attach(self, path):
        """Return a loop device backed by *path*: an existing one, else a
        new one (``losetup --find --show``).

        :raises brick.exception.NotFound: *path* does not exist.
        :raises brick.exception.CommandFailed: no free loop device.
        """
        found = self.find(path)
        if found:
            return found[0]
        out = self._run('--find', '--show', '--', os.fspath(path)).stdout
        device = out.strip()
        if not device.startswith('/dev/'):
            raise exception.MalformedOutput(tool='losetup --find --show',
                                            reason='printed %r' % out)
        return device

    def detach(self, path):
        """Detach every loop device backed by *path* (none is fine).

        :returns: the devices detached.
        """
        try:
            found = self.find(path)
        except exception.NotFound:
            return []
        for device in found:
            self._run('--detach', device)
        return found

    def refresh(self, path):
        """Make the loop devices of *path* see its current size
        (``losetup --set-capacity``), after the file grew."""
        found = self.find(path)
        for device in found:
            self._run('--set-capacity', device)
        return found
