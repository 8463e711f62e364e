# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The ExtStorage actions on a brick driver.

What Ganeti needs, as its own code calls a provider (Ganeti 3.0,
``lib/storage/extstorage.py`` and ``lib/backend.py``; the contract is
documented in the ``ganeti-extstorage-interface(7)`` manual page,
https://docs.ganeti.org/docs/ganeti/3.1/html/man-ganeti-extstorage-interface.html):

* ``attach`` prints the path of a **block device** on its first line and
  nothing before it; Ganeti runs it before every other action, so it is
  idempotent and cheap.  An LVM volume is its own block device (the
  driver activates it); a raw file is exposed through a loop device,
  reusing the one already backed by that file.  KVM opens every disk as
  raw, so a pool of qcow2 or vdi files is refused.
* with ``access=userspace`` (a disk parameter Ganeti always passes as
  ``EXTP_ACCESS``), ``attach`` prints a second line, ``kvm:PATH``: KVM
  then opens PATH itself (``-drive file=PATH,format=raw``) instead of
  the block device, which still comes first for Ganeti's own use
  (wiping, copying).  PATH is the raw file, or the LV's device.  A path
  with a comma would split KVM's ``-drive`` option and is refused, as is
  any other access mode; ``create`` and ``verify`` check this before
  anything is made.
* ``detach`` and ``remove`` are repeatable: a volume or loop device that
  is gone is not an error.
* after ``grow``, ``blockdev --getsize64`` on the attached device shows
  the new size (a loop device is told with ``losetup --set-capacity``).
* ``snapshot`` makes the volume ``VOL_SNAPSHOT_NAME``, a full copy (the
  driver's clone), which Ganeti then treats as an ordinary volume.
* ``setinfo`` keeps ``VOL_METADATA`` in ``[brick]data_dir/ganeti/
  metadata/<volume>``; ``open`` and ``close`` check the volume exists.

Exit codes are brick's (:data:`brick.exit_codes.MEANINGS`); Ganeti
takes anything but 0 as failure and shows the last lines of stderr.
"""

import argparse
import contextlib
import os
import stat
import sys

import brick.conf
from brick import exception
from brick import exit_codes
from brick.ganeti import environment
from brick.local import filesystem
from brick.local import loop
from brick.node import agent

RAW_DRIVERS = 'raw, lvm and lvm-thin'
ACCESS_MODES = ('kernelspace', 'userspace')
"""Ganeti's ``access`` disk parameter."""

# Ganeti runs attach before every other action.  These actions only read
# an existing volume, and reading it fails by itself when the pool is
# missing, so they skip the driver's check (for LVM a vgs, and for
# lvm-thin an lvs of the thin pool, on every action).
_UNCHECKED = ('attach', 'open', 'setinfo')


def is_block_device(path):
    """True if *path* is a block device."""
    try:
        return stat.S_ISBLK(os.stat(path).st_mode)
    except OSError:
        return False


class Provider:
    """The actions on one pool.

    :param driver: the pool's :class:`~brick.drivers.base.VolumeDriver`.
    :param loops: a :class:`~brick.local.loop.LoopDevices`.
    :param state_dir: where metadata and locks are kept.
    :param is_block: ``is_block(path) -> bool`` (tests replace it).
    """

    def __init__(self, driver, loops, state_dir, is_block=is_block_device):
        self.driver = driver
        self.loops = loops
        self.state_dir = state_dir
        self.is_block = is_block

    def run(self, request):
        """Do *request*'s action.

        :returns: what to print on stdout (attach: the device), or ''.
        """
        if request.action not in ('detach', 'remove', 'close'):
            self._check_pool()
            self._check_access(request.access)
            unknown = sorted(set(request.params) - set(
                environment.PARAMETERS))
            if unknown:
                raise exception.InvalidValue(
                    field='disk parameter', value=unknown[0],
                    allowed=', '.join(environment.PARAMETERS))
        if request.action not in _UNCHECKED:
            self.driver.check()
        return getattr(self, request.action)(request) or ''

    def _check_pool(self):
        fmt = getattr(self.driver, 'format', None)
        if fmt not in (None, 'raw'):
            raise exception.InvalidValue(
                field='pool %s for Ganeti' % self.driver.pool,
                value='driver %s (%s files)' % (self.driver.name, fmt),
                allowed='a pool of raw volumes, which KVM can open as a '
                        'block device: drivers %s' % RAW_DRIVERS)

    def _check_access(self, access: str | None) -> None:
        if access is not None and access not in ACCESS_MODES:
            raise exception.InvalidValue(
                field='disk parameter access (EXTP_ACCESS)', value=access,
                allowed=', '.join(ACCESS_MODES))
        if access == 'userspace':
            # A file pool's directory: a comma there would reach KVM's
            # -drive file=... option.  (LVM paths are /dev/VG/LV, made of
            # brick names, which have no comma.)
            where = getattr(self.driver, 'path', None)
            if isinstance(where, str) and ',' in where:
                raise exception.InvalidValue(
                    field='location of pool %s for userspace access'
                    % self.driver.pool, value=where,
                    allowed="a path without ',', which KVM's -drive "
                            "option would split; or access=kernelspace")

    @contextlib.contextmanager
    def _locked(self, name):
        locks = os.path.join(self.state_dir, 'locks')
        os.makedirs(locks, mode=0o700, exist_ok=True)
        with filesystem.locked(os.path.join(locks, name)):
            yield

    def _metadata_path(self, name):
        return os.path.join(self.state_dir, 'metadata', name)

    # -- the actions -----------------------------------------------------

    def create(self, request):
        self.driver.create(request.name, request.size)

    def attach(self, request: environment.Request) -> str:
        info = self.driver.attach(request.name)['data']
        path, fmt = info['device_path'], info.get('format', 'raw')
        if fmt != 'raw':
            raise exception.InvalidValue(
                field='format of volume %s' % request.name, value=fmt,
                allowed='raw (Ganeti opens every disk as raw)')
        uri = ''
        if request.access == 'userspace':
            if ',' in path:
                raise exception.InvalidValue(
                    field='path of volume %s for userspace access'
                    % request.name, value=path,
                    allowed="a path without ',', which KVM's -drive "
                            "option would split")
            uri = 'kvm:%s\n' % path
        if self.is_block(path):
            return path + '\n' + uri
        if not os.path.isfile(path):
            raise exception.BackendError(
                reason='volume %s is at %s, which is neither a block '
                       'device nor a file' % (request.name, path))
        with self._locked(request.name):
            return self.loops.attach(path) + '\n' + uri

    def detach(self, request):
        with self._locked(request.name):
            try:
                volume = self.driver.get(request.name)
            except exception.VolumeNotFound:
                return
            if not self.is_block(volume.path):
                self.loops.detach(volume.path)
            self.driver.detach(request.name)

    def remove(self, request):
        self.detach(request)
        self.driver.delete(request.name)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._metadata_path(request.name))
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(self.state_dir, 'locks', request.name))

    def grow(self, request):
        with self._locked(request.name):
            volume = self.driver.extend(request.name, request.new_size)
            if not self.is_block(volume.path):
                self.loops.refresh(volume.path)

    def setinfo(self, request):
        self.driver.get(request.name)
        path = self._metadata_path(request.name)
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        temp = path + '.new'
        with open(temp, 'w', encoding='utf-8') as out:
            out.write(request.metadata)
        os.replace(temp, path)

    def metadata(self, name):
        """The text the last ``setinfo`` stored for *name*, or None."""
        try:
            with open(self._metadata_path(name), encoding='utf-8') as f:
                return f.read()
        except FileNotFoundError:
            return None

    def verify(self, request):
        """The pool and the access mode were checked by :meth:`run`;
        nothing else to do."""

    def snapshot(self, request):
        self.driver.clone(request.name, request.snapshot_name)

    def open(self, request):
        self.driver.get(request.name)

    def close(self, request):
        """Nothing to do: brick holds nothing open."""


def _parser():
    parser = argparse.ArgumentParser(
        prog='python -m brick.ganeti',
        description='Run one Ganeti ExtStorage action; the volume is '
                    'described by VOL_* and EXTP_* environment variables.')
    parser.add_argument('--config-file', action='append', default=[],
                        metavar='PATH')
    parser.add_argument('--config-dir', action='append', default=[],
                        metavar='DIR')
    parser.add_argument('--data-dir', metavar='DIR')
    parser.add_argument('--pool', metavar='NAME',
                        help='the pool when the disk has no pool parameter')
    parser.add_argument('action', choices=environment.ACTIONS)
    return parser


def build(args, request):
    """The :class:`Provider` for *request* from the command line *args*
    (configuration files, data dir, default pool)."""
    conf = brick.conf.load(args.config_file, args.config_dir, args.data_dir)
    node = agent.NodeAgent.from_conf(conf)
    pool = request.params.get('pool') or args.pool
    # Checked by Provider.run, after refusing a pool of the wrong kind.
    driver = node.driver(pool, check=False)
    return Provider(driver, loop.LoopDevices(node.executor),
                    os.path.join(conf.brick.data_dir, 'ganeti'))


def main(argv=None, env=None, stdout=None, stderr=None):
    """Run one action as Ganeti does: ``main(['attach'])`` with the disk
    in *env* (default ``os.environ``).

    :returns: the exit code.
    """
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    args = _parser().parse_args(argv)
    env = os.environ if env is None else env
    try:
        request = environment.parse(args.action, env)
        out = build(args, request).run(request)
    except Exception as err:
        stderr.write('brick %s %s: %s\n' % (
            args.action, env.get('VOL_NAME', '-'),
            err if isinstance(err, exception.BrickException)
            else '%s: %s' % (type(err).__name__, err)))
        return exit_codes.of(err)
    stdout.write(out)
    return 0
