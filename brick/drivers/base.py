# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.

"""The interface every volume driver implements.

A driver manages the volumes of one pool on one host: a volume group, a
thin pool or a directory.  The public methods here validate their input,
then call the driver's protected ``_method``; a driver implements only
the protected ones, so no driver can forget a check.

Required of every driver (abstract): ``_create``, ``_delete``,
``_extend``, ``_get``, ``_list``, ``_capacity``, ``_attach``, ``step``.
Optional, declared in :attr:`VolumeDriver.capabilities`: snapshots,
clones, shrink, image import/export.  Calling an optional method the
driver did not declare raises :class:`brick.exception.NotSupported`
before anything runs.

Contract, checked by ``tests/functional/contract.py`` against
every driver:

* creating a volume that exists with the same size returns it; with
  another size raises :class:`brick.exception.VolumeExists`;
* deleting a missing volume is not an error;
* extending to the current size is a no-op; to a smaller one is an error;
* attach and detach may be repeated;
* bad names or sizes raise before the host is touched.
"""

import abc
import builtins
import os
import stat
from collections.abc import Callable
from collections.abc import Sequence
from typing import TYPE_CHECKING
from typing import NoReturn

from oslo_config import cfg

from brick import exception
from brick import names
from brick import units
from brick.drivers.volume import Capability
from brick.drivers.volume import CapacityReport
from brick.drivers.volume import ConnectionInfo
from brick.drivers.volume import Snapshot
from brick.drivers.volume import Volume

if TYPE_CHECKING:  # the annotations only: importing it here runs nothing
    from brick.local import executor as executor_mod

Progress = Callable[[float], object]
"""A progress callback: called with a percentage (a float from 0 to
100)."""

ALLOCATION_RATIO_OPT = cfg.FloatOpt(
    'allocation_ratio',
    default=1.0,
    min=1.0,
    help="""
How many times its physical space the virtual sizes of all volumes in a
thin-provisioned pool may add up to (drivers ``lvm-thin``, ``raw``,
``qcow2`` and ``vdi``; thick ``lvm`` ignores it).  1.0 promises every
byte and never over-commits.  A higher ratio fits more volumes, betting
that they will not all fill up: when the space does run out, writes to
every volume of the pool fail until it is grown, so watch ``free`` in the
capacity report when raising it.  With ``[pool:NAME]preallocation`` other
than ``off`` only 1.0 makes sense.
""")
"""Shared by every driver that provisions thinly, so the sample
configuration and the docs describe ``allocation_ratio`` once."""


def check_allocation_ratio(pool: str | None, value: object) -> float:
    """Return *value*, an ``allocation_ratio``, as a float.

    :param pool: the pool's name, for the message.
    :raises brick.exception.InvalidValue: not a number of at least 1.0.
    """
    if (isinstance(value, bool) or not isinstance(value, int | float)
            or not value >= 1.0):  # "not >=" also refuses NaN
        raise exception.InvalidValue(
            field='[pool:%s]allocation_ratio' % pool, value=value,
            allowed='a number of at least 1.0')
    return float(value)


class VolumeDriver(metaclass=abc.ABCMeta):
    """Manages the volumes of one pool.

    The constructor stores its arguments and touches nothing; call
    :meth:`check` to verify the pool before use.

    :param executor: a :class:`brick.local.executor.Executor` (or a fake)
        for any command the driver runs.
    :param pool: the pool's name, for messages.
    """

    name: str | None = None
    """The driver's entry-point name in ``brick.volume_drivers``."""

    capabilities: frozenset[Capability] = frozenset()
    """The optional :class:`Capability` values this driver supports."""

    OPTS: Sequence[cfg.Opt] = []
    """oslo.config options this driver reads from a ``[pool:NAME]``
    section, besides ``driver``."""

    def __init__(self, executor: 'executor_mod.Executor | None' = None,
                 pool: str | None = None) -> None:
        self.executor = executor
        self.pool = pool or self.name

    def supports(self, capability: Capability) -> bool:
        """Return True if the driver declared *capability*."""
        return capability in self.capabilities

    # -- required ---------------------------------------------------------

    @abc.abstractmethod
    def check(self) -> None:
        """Verify that the pool exists and its tools are present.

        File pools create their directory (mode 0700) here if missing.

        :raises brick.exception.PoolNotFound: the VG, thin pool or
            directory is missing.
        :raises brick.exception.ToolNotFound: a needed program is missing.
        """

    @abc.abstractmethod
    def step(self) -> int:
        """Return the size granularity in bytes (all sizes are multiples).
        """

    def create(self, name: str, size: int) -> Volume:
        """Create a volume, or return it if it exists with this size.

        :param name: the volume's name (see :mod:`brick.names`).
        :param size: virtual size in bytes, a multiple of :meth:`step`.
        :returns: the :class:`~brick.drivers.volume.Volume`.
        :raises brick.exception.InvalidName: bad name.
        :raises brick.exception.InvalidSize: bad size.
        :raises brick.exception.VolumeExists: exists with another size.
        :raises brick.exception.InsufficientCapacity: it cannot fit.
        """
        names.validate(name, 'volume name')
        units.validate(size, 'volume size', step=self.step())
        return self._create(name, size)

    def delete(self, name: str) -> None:
        """Delete a volume; a missing volume is not an error.

        :param name: the volume's name.
        :raises brick.exception.VolumeBusy: it is in use.
        """
        names.validate(name, 'volume name')
        self._delete(name)

    def extend(self, name: str, size: int) -> Volume:
        """Grow a volume to *size* bytes (a no-op at its current size).

        :param name: the volume's name.
        :param size: the new virtual size in bytes.
        :returns: the grown :class:`~brick.drivers.volume.Volume`.
        :raises brick.exception.VolumeNotFound: no such volume.
        :raises brick.exception.InvalidSize: *size* is smaller than the
            volume (use :meth:`shrink`) or not aligned.
        :raises brick.exception.InsufficientCapacity: it cannot fit.
        """
        names.validate(name, 'volume name')
        units.validate(size, 'new volume size', step=self.step())
        return self._extend(name, size)

    def get(self, name: str) -> Volume:
        """Return one volume.

        :raises brick.exception.VolumeNotFound: no such volume.
        """
        names.validate(name, 'volume name')
        return self._get(name)

    def list(self) -> builtins.list[Volume]:
        """Return every volume in the pool, including unmanaged ones."""
        return self._list()

    def capacity(self) -> CapacityReport:
        """Return a :class:`~brick.drivers.volume.CapacityReport`."""
        return self._capacity()

    def attach(self, name: str) -> ConnectionInfo:
        """Make a volume usable on this host and return connection info.

        The result is ``{'driver_volume_type': 'local', 'data': {...}}``;
        ``data`` is exactly what os-brick's LOCAL connector takes
        (``InitiatorConnector.factory('LOCAL', ...).connect_volume(data)``)
        and carries ``device_path``, ``format`` and ``name``.  Repeating it
        is harmless.

        :raises brick.exception.VolumeNotFound: no such volume.
        """
        names.validate(name, 'volume name')
        return self._attach(name)

    def detach(self, name: str) -> None:
        """Undo :meth:`attach`; repeating it, or detaching a volume that
        was never attached, is harmless."""
        names.validate(name, 'volume name')
        self._detach(name)

    @abc.abstractmethod
    def _create(self, name: str, size: int) -> Volume:
        pass

    @abc.abstractmethod
    def _delete(self, name: str) -> None:
        pass

    @abc.abstractmethod
    def _extend(self, name: str, size: int) -> Volume:
        pass

    @abc.abstractmethod
    def _get(self, name: str) -> Volume:
        pass

    @abc.abstractmethod
    def _list(self) -> builtins.list[Volume]:
        pass

    @abc.abstractmethod
    def _capacity(self) -> CapacityReport:
        pass

    @abc.abstractmethod
    def _attach(self, name: str) -> ConnectionInfo:
        pass

    def _detach(self, name: str) -> None:
        """Most drivers have nothing to undo."""

    # -- optional ---------------------------------------------------------

    def _require(self, capability: Capability, operation: str) -> None:
        if capability not in self.capabilities:
            raise exception.NotSupported(
                driver=self.name, operation=operation,
                capabilities=', '.join(sorted(
                    c.value for c in self.capabilities)) or 'none')

    def shrink(self, name: str, size: int) -> Volume:
        """Shrink a volume to *size* bytes; data past the end is lost.

        :raises brick.exception.NotSupported: no :attr:`Capability.SHRINK`.
        """
        self._require(Capability.SHRINK, 'shrink')
        names.validate(name, 'volume name')
        units.validate(size, 'new volume size', step=self.step())
        return self._shrink(name, size)

    def create_snapshot(self, volume: str, name: str) -> Snapshot:
        """Take a snapshot of *volume*, or return it if it exists.

        :returns: the :class:`~brick.drivers.volume.Snapshot`.
        :raises brick.exception.NotSupported: no
            :attr:`Capability.SNAPSHOT`.
        """
        self._require(Capability.SNAPSHOT, 'snapshots')
        names.validate(volume, 'volume name')
        names.validate(name, 'snapshot name')
        return self._create_snapshot(volume, name)

    def list_snapshots(self, volume: str) -> builtins.list[Snapshot]:
        """Return the snapshots of *volume*, oldest first."""
        self._require(Capability.SNAPSHOT, 'snapshots')
        names.validate(volume, 'volume name')
        return self._list_snapshots(volume)

    def delete_snapshot(self, volume: str, name: str) -> None:
        """Delete a snapshot; a missing one is not an error."""
        self._require(Capability.SNAPSHOT, 'snapshots')
        names.validate(volume, 'volume name')
        names.validate(name, 'snapshot name')
        self._delete_snapshot(volume, name)

    def revert_snapshot(self, volume: str, name: str) -> None:
        """Return *volume* to the content of snapshot *name*."""
        self._require(Capability.SNAPSHOT, 'snapshots')
        names.validate(volume, 'volume name')
        names.validate(name, 'snapshot name')
        self._revert_snapshot(volume, name)

    def clone(self, source: str, name: str, overlay: bool = False
              ) -> Volume:
        """Create volume *name* with the content of *source*.

        :param overlay: make a copy-on-write child instead of a full copy
            (:attr:`Capability.CLONE_OVERLAY`); the source must then stay.
        :returns: the new :class:`~brick.drivers.volume.Volume`.
        """
        self._require(Capability.CLONE_OVERLAY if overlay
                      else Capability.CLONE,
                      'overlay clones' if overlay else 'clones')
        names.validate(source, 'source volume name')
        names.validate(name, 'volume name')
        return self._clone(source, name, overlay)

    def import_image(self, name: str, source: str,
                     source_format: str | None = None,
                     progress: Progress | None = None) -> Volume:
        """Create volume *name* from the image file *source*.

        :param source_format: raw, qcow2, vdi...; the content must be in
            it.  None takes the format the content shows (inspected in
            Python, never probed by qemu-img:
            :meth:`brick.local.qemu_img.QemuImg.inspect_untrusted`).
        :raises brick.exception.InvalidValue: the image is not
            self-contained, or not in *source_format*.
        :param progress: optional callable taking a percentage (float).
        """
        self._require(Capability.COPY_IMAGE, 'image import')
        names.validate(name, 'volume name')
        return self._import_image(name, source, source_format, progress)

    def export_image(self, name: str, target: str, target_format: str = 'raw',
                     progress: Progress | None = None) -> None:
        """Write the content of volume *name* to the image file *target*.

        :param target: a path that does not exist yet, or a block device
            (written in place); never an existing file.
        :raises brick.exception.InvalidValue: *target* is neither.
        """
        self._require(Capability.COPY_IMAGE, 'image export')
        names.validate(name, 'volume name')
        if not isinstance(target, str) or (
                os.path.exists(target)
                and not stat.S_ISBLK(os.stat(target).st_mode)):
            raise exception.InvalidValue(
                field='export target', value=target,
                allowed='a path that does not exist yet, or a block device')
        self._export_image(name, target, target_format, progress)

    # The optional steps: a driver that declares a capability overrides
    # the steps it needs.
    def _shrink(self, name: str, size: int) -> Volume:
        _unsupported()

    def _create_snapshot(self, volume: str, name: str) -> Snapshot:
        _unsupported()

    def _list_snapshots(self, volume: str) -> builtins.list[Snapshot]:
        _unsupported()

    def _delete_snapshot(self, volume: str, name: str) -> None:
        _unsupported()

    def _revert_snapshot(self, volume: str, name: str) -> None:
        _unsupported()

    def _clone(self, source: str, name: str, overlay: bool) -> Volume:
        _unsupported()

    def _import_image(self, name: str, source: str,
                      source_format: str | None,
                      progress: Progress | None) -> Volume:
        _unsupported()

    def _export_image(self, name: str, target: str, target_format: str,
                      progress: Progress | None) -> None:
        _unsupported()


def _unsupported() -> NoReturn:
    raise NotImplementedError('declared capability not implemented')
