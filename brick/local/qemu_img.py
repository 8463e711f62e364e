# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""qemu-img, as argv lists in and typed results out.

Every call names the image format explicitly (``-f FMT``, or
``--image-opts driver=FMT`` for ``snapshot``, which has no ``-f``).  Left
to itself qemu-img *probes* the format, and a raw image whose guest wrote
a qcow2 header would be opened as qcow2, with a backing file of the
guest's choosing (``/etc/shadow``): the format-probing hole that hit
every cloud.  brick never lets qemu-img probe: an image brick did not
make is inspected in Python first (:mod:`brick.local.image_check`), and
then read by qemu-img told its format, under resource limits
(:meth:`QemuImg.inspect_untrusted`).

Facts of qemu-img 7.2 this module works around: ``create`` overwrites
existing files (callers claim the name first); a backing file needs
``-F``; vdi has no resize, no backing file and no snapshots; qcow2
shrinks only with ``--shrink`` and never together with a preallocation
mode; ``snapshot -c`` accepts a duplicate name, and ``-a``/``-d`` take
an ID as readily as a name (see :func:`check_snapshot_name`).
"""

import dataclasses
import json
import os
import re

from oslo_concurrency import processutils

from brick import exception
from brick import names
from brick.local import image_check

FORMATS = ('raw', 'qcow2', 'vdi')
"""Formats brick creates; qemu-img reads many more for import."""

_PROGRESS = re.compile(r'\((\d+(?:\.\d+)?)/100%\)')
_FORMAT_NAME = re.compile(r'[a-z][a-z0-9_]{0,15}')


@dataclasses.dataclass(frozen=True)
class SnapshotInfo:
    """An internal (qcow2) snapshot as ``qemu-img info`` lists it."""

    id: str
    name: str
    date: float
    """Seconds since the epoch when it was taken."""
    vm_state_size: int = 0


@dataclasses.dataclass(frozen=True)
class ImageInfo:
    """The parts of ``qemu-img info --output=json`` brick uses."""

    filename: str
    format: str
    virtual_size: int
    actual_size: int | None = None
    cluster_size: int | None = None
    backing_file: str | None = None
    """As written in the image (relative paths stay relative)."""
    backing_format: str | None = None
    full_backing_file: str | None = None
    data_file: str | None = None
    """qcow2 external data file: as dangerous as a backing file."""
    dirty: bool = False
    encrypted: bool = False
    snapshots: tuple = ()
    specific: dict = dataclasses.field(default_factory=dict, compare=False)
    """``format-specific.data`` as qemu-img printed it."""

    @classmethod
    def from_json(cls, text, what='qemu-img info'):
        """Build from qemu-img's JSON.

        :raises brick.exception.MalformedOutput: not JSON, not an object,
            or a required key missing or of the wrong type.
        """
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise TypeError('expected an object, got %s'
                                % type(data).__name__)
            specific = (data.get('format-specific') or {}).get('data') or {}
            snapshots = tuple(SnapshotInfo(
                id=str(snap['id']), name=snap['name'],
                date=snap['date-sec'] + snap.get('date-nsec', 0) / 1e9,
                vm_state_size=int(snap.get('vm-state-size', 0)))
                for snap in data.get('snapshots', ()))
            return cls(
                filename=data['filename'],
                format=_str(data, 'format'),
                virtual_size=_int(data, 'virtual-size'),
                actual_size=_int(data, 'actual-size', None),
                cluster_size=_int(data, 'cluster-size', None),
                backing_file=data.get('backing-filename'),
                backing_format=data.get('backing-filename-format'),
                full_backing_file=data.get('full-backing-filename'),
                data_file=specific.get('data-file'),
                dirty=bool(data.get('dirty-flag', False)),
                encrypted=bool(data.get('encrypted', False)),
                snapshots=snapshots, specific=dict(specific))
        except (ValueError, TypeError, KeyError, AttributeError) as err:
            raise exception.MalformedOutput(
                tool=what, reason='%s: %s; output began %r' % (
                    type(err).__name__, err, str(text)[:200])) from err


def _int(data, key, default=KeyError):
    value = data.get(key, default)
    if value is KeyError:
        raise KeyError(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError('%s is %r, not an integer' % (key, value))
    return value


def _str(data, key):
    value = data[key]
    if not isinstance(value, str):
        raise TypeError('%s is %r, not a string' % (key, value))
    return value


def check_snapshot_name(name):
    """Refuse snapshot names qemu-img would read as a snapshot ID.

    ``qemu-img snapshot -a 2`` applies the snapshot whose *ID* is 2 if
    there is one, so a snapshot named ``2`` could revert to another one.

    :raises brick.exception.InvalidName: the name is all digits.
    """
    names.validate(name, 'snapshot name')
    if name.isdigit():
        raise exception.InvalidName(
            field='snapshot name', value=name,
            reason='all digits, which qemu-img takes for a snapshot ID',
            allowed='a name with at least one non-digit')
    return name


def parse_progress(text):
    """Return the percentage in a ``qemu-img -p`` line, or None."""
    match = _PROGRESS.search(text)
    return float(match.group(1)) if match else None


def _path(path):
    """Keep a path from reading as an option or a protocol (``nbd:``).

    Absolute paths are safe: qemu treats ``/x/json:{...}`` as a file.
    """
    path = os.fspath(path)
    first = path.split('/', 1)[0]
    if path.startswith('-') or ':' in first:
        return './' + path
    return path


def _format(fmt, field='image format', allowed=FORMATS):
    """Check a format brick writes (*allowed*), or with allowed=None any
    format name qemu-img might read (vmdk, vhdx...)."""
    if allowed is None:
        ok = isinstance(fmt, str) and _FORMAT_NAME.fullmatch(fmt)
        allowed = ('a qemu-img format name such as %s'
                   % ', '.join(FORMATS + ('vmdk', 'vhdx')),)
    else:
        ok = fmt in allowed
    if not ok:
        raise exception.InvalidValue(field=field, value=fmt,
                                     allowed=', '.join(allowed))
    return fmt


def _size(size, field='image size'):
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise exception.InvalidSize(field=field, value=size,
                                    reason='not a whole number of bytes',
                                    allowed='an int >= 0')
    return str(size)


def _options(**options):
    # qemu's option syntax escapes a comma by doubling it.
    return ','.join('%s=%s' % (key, str(value).replace(',', ',,'))
                    for key, value in options.items() if value is not None)


class QemuImg:
    """Runs qemu-img through an :class:`~brick.local.executor.Executor`.

    The constructor stores its arguments; nothing runs until a method is
    called.

    :param executor: runs the commands (a fake one in unit tests).
    :param binary: the program to run.
    """

    def __init__(self, executor, binary='qemu-img'):
        self.executor = executor
        self.binary = binary

    def version(self):
        """Return qemu-img's version string (e.g. ``'7.2.22'``).

        :raises brick.exception.ToolNotFound: qemu-img is not installed.
        """
        out = self.executor(self.binary, '--version').stdout
        match = re.search(r'version (\S+)', out)
        if not match:
            raise exception.MalformedOutput(tool='qemu-img --version',
                                            reason='no version in %r'
                                            % out[:100])
        return match.group(1)

    def create(self, path, fmt, size, preallocation=None, cluster_size=None,
               backing=None, backing_format=None, static=None):
        """Create an image; qemu-img **overwrites** *path* if it exists.

        :param fmt: raw, qcow2 or vdi.
        :param size: virtual size in bytes; None only with *backing* (the
            child then takes the backing file's size).
        :param preallocation: off, metadata, falloc or full (as *fmt*
            allows; qemu-img says which it rejects).
        :param cluster_size: qcow2 cluster size in bytes.
        :param backing: backing file; a relative one is relative to
            *path*'s directory.
        :param backing_format: required with *backing*: without it qemu
            would probe the backing file's format.
        :param static: vdi: allocate the whole image (``static=on``).
        :raises brick.exception.InvalidValue: backing without its format.
        :raises brick.exception.CommandFailed: qemu-img refused.
        """
        argv = [self.binary, 'create', '-q', '-f', _format(fmt)]
        if backing is not None:
            argv += ['-b', _path(backing), '-F',
                     _format(backing_format, 'backing format',
                             ('raw', 'qcow2'))]
        elif backing_format is not None:
            raise exception.InvalidValue(
                field='backing format', value=backing_format,
                allowed='None without a backing file')
        opts = _options(preallocation=preallocation,
                        cluster_size=cluster_size,
                        static='on' if static else None)
        if opts:
            argv += ['-o', opts]
        argv.append(_path(path))
        if size is not None or backing is None:
            argv.append(_size(size))
        self.executor(*argv)

    def info(self, path: str, fmt: str, force_share: bool = True,
             limits: processutils.ProcessLimits | None = None
             ) -> ImageInfo:
        """Return the :class:`ImageInfo` of an image of known format.

        :param fmt: the format the image must be in; qemu-img fails if it
            is not (it never probes here).
        :param force_share: read an image a running VM holds locked
            (``-U``); the answer may then be slightly stale.
        :param limits: resource limits for qemu-img (an image brick did
            not make: :data:`brick.local.image_check.QEMU_IMG_LIMITS`).
        :raises brick.exception.CommandFailed: not in *fmt*, or missing.
        :raises brick.exception.MalformedOutput: unparseable output.
        """
        argv = [self.binary, 'info', '--output=json', '-f',
                _format(fmt, allowed=None)]
        if force_share:
            argv.append('-U')
        out = self.executor(*argv, _path(path), limits=limits).stdout
        return ImageInfo.from_json(out)

    def inspect_untrusted(self, path: str, fmt: str | None = None
                          ) -> ImageInfo:
        """Return the :class:`ImageInfo` of an image brick did not make
        (an import source), refusing one that is not self-contained.

        Three gates, each enough on its own for the known attacks, as Nova
        has them: the content is inspected in Python before qemu-img sees
        it (:func:`brick.local.image_check.inspect`: format, backing and
        data files, vmdk subformat, declared format); qemu-img then reads
        it told that format, under
        :data:`~brick.local.image_check.QEMU_IMG_LIMITS` (1 GiB of address
        space, 30 s of CPU), and must agree on the format; and its answer
        must name no backing file, data file or vmdk extent file either.

        :param fmt: the format the image's owner declared (qemu-img's
            name); None takes the format the content shows.
        :raises brick.exception.InvalidValue: not a regular file, not a
            format brick imports, not the declared format, not
            self-contained, or more than qemu-img may read within its
            limits; qemu-img never ran on it for the first four.
        """
        fmt = image_check.inspect(path, fmt)
        try:
            info = self.info(path, fmt, limits=image_check.QEMU_IMG_LIMITS)
        except exception.CommandFailed as err:
            killed = err.kwargs['exit_code'] is not None and \
                err.kwargs['exit_code'] < 0
            raise exception.InvalidValue(
                field='image to import', value=path,
                allowed='an image qemu-img can read as %s within 1 GiB of '
                        'address space and 30 s of CPU; %s' % (
                            fmt, 'it was killed at its limits' if killed
                            else 'it said: %s' % err.kwargs['stderr'])
            ) from err
        refers = info.backing_file or info.data_file
        if info.format == 'vmdk' and info.specific.get('create-type') not in (
                'monolithicSparse', 'streamOptimized'):
            # A descriptor's extents may name any file (CVE-2022-47951).
            refers = refers or 'extent files %s' % ', '.join(
                str(e.get('filename')) for e in
                info.specific.get('extents') or ()) or 'unknown extents'
        if info.format != fmt:
            refers = refers or 'nothing, but qemu-img reads it as %s' % (
                info.format)
        if refers:
            raise exception.InvalidValue(
                field='image to import', value=path,
                allowed='a self-contained image; this one refers to %s'
                % refers)
        return info

    def resize(self, path, size, fmt, shrink=False, preallocation=None):
        """Set the virtual size of an image.

        vdi cannot be resized at all ("Image format driver does not
        support resize"); qemu-img refuses to shrink without *shrink*,
        and refuses a *preallocation* mode together with shrinking.

        :param preallocation: how to allocate a grown region.
        :raises brick.exception.CommandFailed: qemu-img refused.
        """
        argv = [self.binary, 'resize', '-q', '-f', _format(fmt)]
        if preallocation is not None:
            argv.append('--preallocation=%s' % preallocation)
        if shrink:
            argv.append('--shrink')
        self.executor(*argv, _path(path), _size(size))

    def convert(self, src, dst, src_fmt, dst_fmt, target_exists=False,
                target_is_zero=False, progress=None, options=None,
                timeout=None, run_as_root=False):
        """Copy the content of *src* into *dst*, converting the format.

        Zeroed areas are not written (qemu-img's default ``-S 4k``), so
        sparse sources stay sparse when qemu-img creates *dst*, or when
        an existing *dst* is declared zero (*target_is_zero*).

        :param target_exists: write into an existing *dst* (``-n``), which
            must be at least as large; otherwise qemu-img creates *dst*,
            overwriting a file of that name.
        :param target_is_zero: with *target_exists*, *dst* reads as zeros
            (made a moment ago), so zero areas are skipped
            (``--target-is-zero``, qemu-img 5.0 or later).  Without it
            qemu-img writes every zero area of *src* into *dst* in full.
        :param progress: called with a float percentage as it goes.
        :param options: ``-o`` options for a created target, a dict.
        :param timeout: seconds; large images take long.
        :param run_as_root: run it as root (block devices of root's).
        :raises brick.exception.CommandFailed: qemu-img failed.
        """
        argv = [self.binary, 'convert',
                '-f', _format(src_fmt, 'source format', None), '-O',
                _format(dst_fmt, 'target format')]
        if target_exists:
            argv.append('-n')
            if target_is_zero:
                argv.append('--target-is-zero')
        elif target_is_zero:
            raise exception.InvalidValue(
                field='target_is_zero', value=True,
                allowed='only with target_exists: a created target is '
                        'zero already')
        opts = _options(**(options or {}))
        if opts:
            argv += ['-o', opts]
        if progress is None:
            self.executor(*argv, _path(src), _path(dst), timeout=timeout,
                          run_as_root=run_as_root)
            return

        def on_output(text):
            percent = parse_progress(text)
            if percent is not None:
                progress(percent)
        self.executor.stream(*argv, '-p', _path(src), _path(dst),
                             on_output=on_output, timeout=timeout,
                             run_as_root=run_as_root)

    # Internal snapshots (qcow2).  ``qemu-img snapshot`` has no -f; the
    # format is pinned with --image-opts instead.

    def _snapshot(self, flag, path, fmt, name):
        opts = _options(driver=_format(fmt, allowed=('qcow2',)),
                        **{'file.driver': 'file',
                           'file.filename': os.path.abspath(path)})
        self.executor(self.binary, 'snapshot', '-q', flag,
                      check_snapshot_name(name), '--image-opts', opts)

    def snapshot_create(self, path, name, fmt='qcow2'):
        """Take an internal snapshot; qemu-img allows duplicate names, so
        check :meth:`snapshot_list` first."""
        self._snapshot('-c', path, fmt, name)

    def snapshot_apply(self, path, name, fmt='qcow2'):
        """Revert the image to snapshot *name*."""
        self._snapshot('-a', path, fmt, name)

    def snapshot_delete(self, path, name, fmt='qcow2'):
        """Delete snapshot *name* (qemu-img fails if it is missing)."""
        self._snapshot('-d', path, fmt, name)

    def snapshot_list(self, path, fmt='qcow2'):
        """Return the image's :class:`SnapshotInfo` list, oldest first
        (read from ``info`` JSON, ``snapshot -l`` prints only a table)."""
        return list(self.info(path, fmt).snapshots)
