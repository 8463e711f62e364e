# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.

"""LVM primitives: run lvm2 commands, parse their JSON into typed objects.

Why not wrap os-brick's ``os_brick.local_dev.lvm.LVM``?  Its constructor
runs commands and may create a volume group or a thin pool, so merely
building one touches the host; sizes go in as strings ("10g") and come
back as float GiB, so byte-exact accounting is impossible; it parses
column output instead of ``--reportformat json``; and its command prefix
(``LVM_SYSTEM_DIR``, ``--config``) is class-global state shared by every
instance.  brick needs none of that: here the constructor only stores its
arguments, every size is an ``int`` of bytes, and every command goes
through the injected :class:`brick.local.executor.Executor` as the
``lvm`` binary with its subcommand (``('lvm', 'lvs', ...)``).

Common lvm2 failures become brick exceptions by matching lvm2's own
messages (lvm2 2.03, checked against real commands on a loop device):

==============================================  ========================
stderr contains                                 raised
==============================================  ========================
``Volume group "vg" not found``,                PoolNotFound
``Pool p not found in Volume group vg``
``Failed to find logical volume "vg/lv"``,      VolumeNotFound
``... not found in volume group ...``
``Logical Volume "lv" already exists in ...``   VolumeExists
``... insufficient free space ...``             InsufficientCapacity
``Can't remove open logical volume``,           VolumeBusy
``Logical volume vg/lv in use``
``not larger than existing size`` (lvextend)    InvalidSize
anything else                                   CommandFailed (unchanged)
==============================================  ========================

lvextend's ``matches existing size`` is no error: :meth:`LVM.extend_lv`
returns False.
"""

import contextlib
import dataclasses
import datetime
import json
import re
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any
from typing import cast

from oslo_log import log as logging

from brick import exception
from brick import units
from brick.local import executor as executor_module

VG_FIELDS = ('vg_name', 'vg_size', 'vg_free', 'vg_extent_size',
             'vg_extent_count', 'vg_free_count', 'lv_count', 'pv_count',
             'vg_tags')
LV_FIELDS = ('vg_name', 'lv_name', 'lv_size', 'lv_attr', 'segtype',
             'pool_lv', 'origin', 'data_percent', 'metadata_percent',
             'lv_tags', 'lv_path', 'lv_active', 'lv_time')

# lvm2 keeps "vg/lv" (plus 2 bytes) below NAME_LEN (128); measured.
MAX_FULL_NAME = 124

LOG = logging.getLogger(__name__)
_REPORT = ('--reportformat', 'json', '--units', 'b', '--nosuffix')
_REPORTS = ('vgs', 'lvs')
_CRASHES = (139,)
"""lvm2 reports segfault (exit 139) when a concurrent command changes
the metadata under them; running them again is safe, as os-brick does
(https://launchpad.net/bugs/1901783, https://launchpad.net/bugs/1932188)."""
_RETRY_DEACTIVATION = 'activation { retry_deactivation = 1 }'
_SKIP_SUSPENDED = 'devices { ignore_suspended_devices = 1 }'
"""lvremove races with udev and other openers of the device
(https://launchpad.net/bugs/1270192): it retries the deactivation, and a
second attempt after ``udevadm settle`` skips the suspended devices a
failed first one may leave behind, on which any lvm2 command would
block (os-brick's ``LVM.delete``)."""
_VG_MISSING = re.compile(r'Volume group "[^"]*" not found|'
                         r'Pool \S+ not found in volume group', re.I)
_LV_MISSING = re.compile(
    r'failed to find logical volume|not found in volume group', re.I)
_EXISTS = re.compile(r'already exists in volume group', re.I)
_NO_SPACE = re.compile(r'insufficient free space', re.I)
_AVAILABLE = re.compile(r'free space \((\d+) extents?\)|only (\d+) available')
_SAME_SIZE = re.compile(r'matches existing size')
_SMALLER = re.compile(r'not larger than existing size \((\d+) extents?\)')
_BUSY = re.compile(r"can't remove open logical volume|"
                   r"logical volume \S+ in use|LV \S+ in use|"
                   r"contains a filesystem in use", re.I)


@dataclasses.dataclass(frozen=True)
class VolumeGroup:
    """One volume group as ``vgs`` reports it; sizes in bytes."""

    name: str
    size: int
    free: int
    extent_size: int
    extent_count: int
    free_extents: int
    lv_count: int
    pv_count: int
    tags: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class LogicalVolume:
    """One logical volume as ``lvs`` reports it; sizes in bytes.

    ``size`` is the virtual size for thin LVs.  ``active`` is None when
    LVM cannot tell (activation disabled).  Percentages are None when LVM
    reports none (inactive pools, non-thin LVs).
    """

    vg: str
    name: str
    size: int
    attr: str
    segtype: str
    pool_lv: str = ''
    origin: str = ''
    data_percent: float | None = None
    metadata_percent: float | None = None
    tags: tuple[str, ...] = ()
    path: str = ''
    active: bool | None = None
    created_at: float | None = None

    @property
    def is_thin_pool(self) -> bool:
        return self.segtype == 'thin-pool'

    @property
    def is_thin(self) -> bool:
        """A thin volume (or thin snapshot) in pool_lv."""
        return self.segtype == 'thin'

    @property
    def is_snapshot(self) -> bool:
        """A thin or old-style snapshot of origin."""
        return bool(self.origin)

    @property
    def is_thin_snapshot(self) -> bool:
        return self.is_thin and self.is_snapshot

    @property
    def is_pool(self) -> bool:
        """Any pool (thin, cache, vdo): not a volume."""
        return self.segtype.endswith('-pool')

    @property
    def is_open(self) -> bool:
        """A process holds the device open (attr bit 6)."""
        return self.attr[5:6] == 'o'

    @property
    def skips_activation(self) -> bool:
        """Activation needs -K (attr bit 10; thin snapshots)."""
        return self.attr[9:10] == 'k'


class LVM:
    """lvm2 commands over an executor.

    :param executor: a :class:`brick.local.executor.Executor`.
    :param config: extra ``--config`` text for every command, e.g. an
        operator's device filter, or ``global { activation = 0 }`` in tests.
    :param devices: device paths passed as ``--devices`` to every command,
        so LVM looks at nothing else.
    """

    def __init__(self, executor: executor_module.Executor,
                 config: str | None = None,
                 devices: Iterable[str] | None = None) -> None:
        self.executor = executor
        self.config = config or None
        self.devices = tuple(devices or ())
        self._extent_sizes: dict[str, int] = {}

    # -- running --------------------------------------------------------------

    def argv(self, command: str, *args: str,
             config: str | None = None) -> tuple[str, ...]:
        """Return the full argv of lvm subcommand *command*.

        :param config: more ``--config`` text for this command, after the
            pool's own.
        """
        argv = ['lvm', command]
        text = ' '.join(part for part in (self.config, config) if part)
        if text:
            argv += ['--config', text]
        for device in self.devices:
            argv += ['--devices', device]
        return (*argv, *args)

    def run(self, command: str, *args: str, vg: str | None = None,
            lv: str | None = None, size: int | None = None,
            config: str | None = None) -> executor_module.Result:
        """Run an lvm subcommand, translating its common failures.

        :param vg: the VG the command is about, for error messages.
        :param lv: the LV the command is about, for error messages.
        :param size: bytes asked for, for InsufficientCapacity.
        :param config: more ``--config`` text for this command.
        :returns: the command's :class:`~brick.local.executor.Result`.
        :raises brick.exception.PoolNotFound: the VG is missing.
        :raises brick.exception.VolumeNotFound: the LV is missing.
        :raises brick.exception.VolumeExists: the LV already exists.
        :raises brick.exception.InsufficientCapacity: the VG is full.
        :raises brick.exception.VolumeBusy: the LV is open.
        :raises brick.exception.CommandFailed: any other failure.
        """
        try:
            return self.executor(
                *self.argv(command, *args, config=config), run_as_root=True,
                retry_on_lock=True,
                retry_on_exit=_CRASHES if command in _REPORTS else ())
        except exception.CommandFailed as err:
            translated = self._translate(err, vg, lv, size)
            if translated is err:
                raise
            raise translated from err

    def _translate(self, err: exception.CommandFailed, vg: str | None,
                   lv: str | None, size: int | None
                   ) -> exception.BrickException:
        stderr = err.kwargs.get('stderr') or ''
        if _VG_MISSING.search(stderr):
            return exception.PoolNotFound(name=vg, reason=_errors(stderr))
        if _LV_MISSING.search(stderr):
            return exception.VolumeNotFound(name=lv, pool=vg)
        if _EXISTS.search(stderr):
            return exception.VolumeExists(
                name=lv, pool=vg, existing='a logical volume of that name',
                requested=units.human(size) if size else 'a new one')
        if _NO_SPACE.search(stderr):
            match = _AVAILABLE.search(stderr)
            if match:
                available = int(match.group(1) or match.group(2)) * \
                    self._extent_size(cast(str, vg))
            else:
                # (commands that can run out of space name their VG)
                available = self.vg(cast(str, vg)).free
            return exception.InsufficientCapacity(
                pool=vg, requested=size or 0, available=available)
        if _BUSY.search(stderr):
            return exception.VolumeBusy(name=lv, reason=_errors(stderr))
        return err

    def _extent_size(self, vg: str) -> int:
        # Failure paths only: one more vgs when not cached, so that error
        # messages speak bytes rather than extents.
        if vg not in self._extent_sizes:
            self.vg(vg)
        return self._extent_sizes[vg]

    # -- reading --------------------------------------------------------------

    def vg(self, name: str) -> VolumeGroup:
        """Return the :class:`VolumeGroup` *name* (one ``vgs``).

        :raises brick.exception.PoolNotFound: no such VG.
        :raises brick.exception.MalformedOutput: unparseable output.
        """
        out = self.run('vgs', *_REPORT, '-o', ','.join(VG_FIELDS), name,
                       vg=name).stdout
        rows = parse_report(out, 'vg', VG_FIELDS, 'lvm vgs')
        if len(rows) != 1 or rows[0]['vg_name'] != name:
            raise exception.MalformedOutput(
                tool='lvm vgs', reason='expected one row for VG %s, got %d'
                % (name, len(rows)))
        group = _volume_group(rows[0])
        self._extent_sizes[name] = group.extent_size
        return group

    def lvs(self, vg: str, *names: str) -> list[LogicalVolume]:
        """Return the visible LVs of *vg* (or only *names*), in LVM order.

        Hidden LVs (thin pool data and metadata, spare) are not reported.

        :raises brick.exception.PoolNotFound: no such VG.
        :raises brick.exception.VolumeNotFound: one of *names* is missing.
        """
        targets = ['%s/%s' % (vg, name) for name in names] or [vg]
        out = self.run('lvs', *_REPORT, '-o', ','.join(LV_FIELDS), *targets,
                       vg=vg, lv=names[0] if names else None).stdout
        return [_logical_volume(row)
                for row in parse_report(out, 'lv', LV_FIELDS, 'lvm lvs')]

    def lv(self, vg: str, name: str) -> LogicalVolume:
        """Return one :class:`LogicalVolume`.

        :raises brick.exception.VolumeNotFound: no such LV.
        """
        found = [lv for lv in self.lvs(vg, name) if lv.name == name]
        if not found:
            raise exception.VolumeNotFound(name=name, pool=vg)
        return found[0]

    # -- changing -------------------------------------------------------------

    def create_lv(self, vg: str, name: str, size: int,
                  tags: Iterable[str] = (), zero: bool = True) -> None:
        """Create a linear LV of exactly *size* bytes.

        :param zero: zero its first 4 KiB and wipe old signatures, so a new
            volume never shows a previous tenant's file system.
        """
        check_name(vg, name)
        flag = 'y' if zero else 'n'
        self.run('lvcreate', '--yes', '--zero', flag, '--wipesignatures',
                 flag, *_tags(tags), '--name', name, '--size', '%db' % size,
                 vg, vg=vg, lv=name, size=size)

    def create_thin_pool(self, vg: str, name: str, size: int) -> None:
        """Create a thin pool of *size* bytes of data space."""
        check_name(vg, name)
        self.run('lvcreate', '--yes', '--type', 'thin-pool', '--name', name,
                 '--size', '%db' % size, vg, vg=vg, lv=name, size=size)

    def create_thin_lv(self, vg: str, pool: str, name: str, size: int,
                       tags: Iterable[str] = ()) -> None:
        """Create a thin LV of virtual size *size* in thin pool *pool*."""
        check_name(vg, name)
        self.run('lvcreate', '--yes', '--type', 'thin', *_tags(tags),
                 '--name', name, '--virtualsize', '%db' % size,
                 '--thinpool', pool, vg, vg=vg, lv=name, size=size)

    def create_thin_snapshot(self, vg: str, origin: str, name: str,
                             tags: Iterable[str] = (),
                             activation_skip: bool = True) -> None:
        """Snapshot thin LV *origin* as thin LV *name*.

        :param activation_skip: keep LVM's default for thin snapshots
            (activated only with ``-K``); False for a snapshot used as an
            ordinary volume.
        """
        check_name(vg, name)
        self.run('lvcreate', '--yes', '--snapshot', *_tags(tags),
                 '--setactivationskip', 'y' if activation_skip else 'n',
                 '--name', name, '%s/%s' % (vg, origin), vg=vg, lv=origin)

    def extend_lv(self, vg: str, name: str, size: int) -> bool:
        """Grow LV *name* to *size* bytes (virtual size for thin LVs).

        :returns: True if it grew, False if it had that size already.
        :raises brick.exception.InvalidSize: it is larger than *size*.
        """
        try:
            self.run('lvextend', '--size', '%db' % size,
                     '%s/%s' % (vg, name), vg=vg, lv=name, size=size)
        except exception.CommandFailed as err:
            stderr = err.kwargs.get('stderr') or ''
            if _SAME_SIZE.search(stderr):
                return False
            current = _SMALLER.search(stderr)
            if current is None:
                raise
            raise exception.InvalidSize(
                field='new size of %s/%s' % (vg, name), value=size,
                reason='smaller than the current size (%s)' % units.human(
                    int(current.group(1)) * self._extent_size(vg)),
                allowed='the current size or more: lvextend never '
                        'shrinks a volume') from err
        return True

    def remove_lv(self, vg: str, name: str) -> None:
        """Remove LV *name*, active or not (see :meth:`_remove`).

        :raises brick.exception.VolumeNotFound: no such LV.
        :raises brick.exception.VolumeBusy: it is open.
        """
        self._remove(('%s/%s' % (vg, name),), vg, name)

    def remove_selected(self, vg: str, select: str,
                        lv: str | None = None) -> None:
        """Remove the LVs of *vg* matching LVM selection *select* (none
        matching is no error); *lv* names the one meant, for messages."""
        self._remove(('--select', select, vg), vg, lv)

    def _remove(self, target: tuple[str, ...], vg: str,
                lv: str | None) -> None:
        """``lvremove`` with deactivation retries; once more after
        ``udevadm settle``, skipping suspended devices, if that failed
        for any reason but a missing LV (:data:`_SKIP_SUSPENDED`)."""
        try:
            self.run('lvremove', '--yes', *target, vg=vg, lv=lv,
                     config=_RETRY_DEACTIVATION)
            return
        except exception.VolumeNotFound:
            raise
        except (exception.VolumeBusy, exception.CommandFailed) as err:
            LOG.info('lvremove of %s/%s failed (%s); settling udev and '
                     'trying once more', vg, lv or target[-1], err)
        with contextlib.suppress(exception.BrickException):
            self.executor('udevadm', 'settle', run_as_root=True)
        self.run('lvremove', '--yes', *target, vg=vg, lv=lv,
                 config='%s %s' % (_RETRY_DEACTIVATION, _SKIP_SUSPENDED))

    def rename_lv(self, vg: str, name: str, new_name: str) -> None:
        """Rename LV *name* to *new_name*."""
        check_name(vg, new_name)
        self.run('lvrename', vg, name, new_name, vg=vg, lv=name)

    def activate(self, vg: str, name: str, ignore_skip: bool = False
                 ) -> None:
        """Activate LV *name* (create ``/dev/vg/lv``).

        :param ignore_skip: pass ``--ignoreactivationskip`` (thin
            snapshots are created with the activation-skip flag).
        """
        skip = ('--ignoreactivationskip',) if ignore_skip else ()
        self.run('lvchange', '--activate', 'y', *skip, '%s/%s' % (vg, name),
                 vg=vg, lv=name)

    def deactivate(self, vg: str, name: str) -> None:
        """Deactivate LV *name*; an inactive LV is left as it is."""
        self.run('lvchange', '--activate', 'n', '%s/%s' % (vg, name),
                 vg=vg, lv=name)

    def deactivate_selected(self, vg: str, select: str,
                            lv: str | None = None) -> None:
        """Deactivate every LV of *vg* matching *select*; none matching is
        not an error."""
        self.run('lvchange', '--activate', 'n', '--select', select, vg,
                 vg=vg, lv=lv)

    def merge_snapshot(self, vg: str, name: str) -> None:
        """Merge snapshot *name* back into its origin (``lvconvert
        --merge``); the snapshot is gone afterwards."""
        self.run('lvconvert', '--merge', '%s/%s' % (vg, name),
                 vg=vg, lv=name)


def check_name(vg: str, name: str) -> None:
    """Raise InvalidName if ``vg/name`` is longer than lvm2 accepts."""
    if len(vg) + len(name) > MAX_FULL_NAME:
        raise exception.InvalidName(
            field='logical volume name', value=name,
            reason='too long in volume group %s' % vg,
            allowed='volume group and LV names of at most %d characters '
                    'together' % MAX_FULL_NAME)


def select_regex(text: str) -> str:
    """Escape *text* for a regular expression in an LVM ``--select``."""
    return re.sub(r'([.+\\^$*?()\[\]{}|"])', r'\\\1', text)


def parse_report(out: str, kind: str, fields: Sequence[str], tool: str
                 ) -> list[dict[str, Any]]:
    """Return the rows of an ``lvm <cmd> --reportformat json`` report.

    :param kind: ``'vg'`` or ``'lv'``.
    :param fields: every field each row must have.
    :raises brick.exception.MalformedOutput: the JSON is not a report
        of that kind, or a row lacks a field.
    """
    try:
        report = json.loads(out)
    except ValueError as err:
        raise exception.MalformedOutput(tool=tool,
                                        reason='not JSON (%s)' % err) from err
    try:
        sections = report['report']
        rows = [row for section in sections for row in section[kind]]
    except (KeyError, TypeError) as err:
        raise exception.MalformedOutput(
            tool=tool, reason='no "report" list with "%s" rows' % kind
        ) from err
    for row in rows:
        if not isinstance(row, dict):
            raise exception.MalformedOutput(tool=tool,
                                            reason='a row is not an object')
        missing = [field for field in fields if field not in row]
        if missing:
            raise exception.MalformedOutput(
                tool=tool, reason='row without field(s) %s: %s'
                % (', '.join(missing), row))
    return rows


def _number(row: Mapping[str, Any], field: str,
            cast: Callable[[Any], float] = int,
            what: str = 'a whole number of bytes') -> Any:
    # An int (with cast=float: a float, or None when LVM has none).
    if cast is float and row[field] in ('', None):
        return None  # LVM knows no percentage (inactive, not thin)
    try:
        return cast(row[field])
    except (TypeError, ValueError) as err:
        raise exception.MalformedOutput(
            tool='lvm', reason='%s is %r, not %s' % (field, row[field], what)
        ) from err


def _time(value: Any) -> float | None:
    # lvm2's default report/time_format; an operator's other format only
    # loses created_at, which is optional.
    try:
        return datetime.datetime.strptime(
            value, '%Y-%m-%d %H:%M:%S %z').timestamp()
    except (TypeError, ValueError):
        return None


def _split_tags(value: str | None) -> tuple[str, ...]:
    return tuple(tag for tag in (value or '').split(',') if tag)


def _volume_group(row: Mapping[str, Any]) -> VolumeGroup:
    return VolumeGroup(
        row['vg_name'], *(_number(row, field) for field in VG_FIELDS[1:-1]),
        tags=_split_tags(row['vg_tags']))  # type: ignore[misc]  # 7 fields


def _logical_volume(row: Mapping[str, Any]) -> LogicalVolume:
    attr = row['lv_attr']
    if not isinstance(attr, str) or len(attr) < 10:
        raise exception.MalformedOutput(
            tool='lvm lvs', reason='lv_attr %r is not 10 characters' % attr)
    return LogicalVolume(
        vg=row['vg_name'], name=row['lv_name'], size=_number(row, 'lv_size'),
        attr=attr, segtype=row['segtype'], pool_lv=row['pool_lv'],
        origin=row['origin'],
        data_percent=_number(row, 'data_percent', float, 'a percentage'),
        metadata_percent=_number(row, 'metadata_percent', float,
                                 'a percentage'),
        tags=_split_tags(row['lv_tags']),
        path=row['lv_path'] or '/dev/%s/%s' % (row['vg_name'],
                                               row['lv_name']),
        active={'active': True, '': False}.get(row['lv_active']),
        created_at=_time(row['lv_time']))


def _errors(stderr: str) -> str:
    """lvm2's error lines without its warnings, for a message."""
    lines = [line.strip() for line in stderr.splitlines()
             if line.strip() and not line.strip().startswith('WARNING')]
    return '; '.join(lines) or stderr.strip()


def _tags(tags: Iterable[str]) -> list[str]:
    return [arg for tag in tags for arg in ('--addtag', tag)]
