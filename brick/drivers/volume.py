# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.

"""What drivers return: volumes, snapshots and capacity reports.

All sizes are integers in bytes.
"""

import dataclasses
import enum
from typing import Literal
from typing import TypedDict


class Capability(enum.Enum):
    """Optional features a driver declares up front (never probed)."""

    SNAPSHOT = 'snapshot'
    """create_snapshot, list_snapshots, delete_snapshot, revert_snapshot."""
    CLONE = 'clone'
    """clone() as a full, independent copy."""
    CLONE_OVERLAY = 'clone-overlay'
    """clone(..., overlay=True): a copy-on-write child of the source."""
    SHRINK = 'shrink'
    """shrink(): make a volume smaller, losing data past the new end."""
    THIN = 'thin'
    """Space is allocated on write; the pool may be over-committed."""
    COPY_IMAGE = 'copy-image'
    """import_image() and export_image()."""
    EXTEND_BY_COPY = 'extend-by-copy'
    """extend() writes a new, larger image and replaces the old one: it
    needs free space for a full copy and the volume must not be in use
    (vdi: qemu-img cannot resize it in place)."""


@dataclasses.dataclass(frozen=True)
class Volume:
    """A volume as found in its pool."""

    name: str
    size: int
    """Virtual size: what the user of the volume sees."""
    path: str
    """File path or block device (``/dev/VG/LV``)."""
    format: str
    """On-disk format as a hypervisor must open it: raw, qcow2 or vdi."""
    managed: bool
    """False for volumes brick did not create (an administrator's
    ``lvcreate`` or ``qemu-img create``); they still count as used."""
    allocated: int | None = None
    """Bytes really used on disk, when the driver can tell."""
    backing: str | None = None
    """The volume this one was cloned from as an overlay, or the origin of
    a thin snapshot."""


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """A point-in-time copy of a volume."""

    name: str
    volume: str
    size: int
    """Virtual size of the volume when the snapshot was taken."""
    created_at: float | None = None
    """Seconds since the epoch, when the driver knows it."""


@dataclasses.dataclass(frozen=True)
class CapacityReport:
    """A pool's capacity as the node sees it now.

    ``total * allocation_ratio - provisioned`` is the virtual space left;
    ``free`` is physical space left.  Both count volumes brick did not
    create.
    """

    total: int
    """Physical size of the pool (VG, thin pool data, file system)."""
    free: int
    """Physical space not yet used."""
    provisioned: int
    """Sum of the virtual sizes of every volume in the pool."""
    allocation_ratio: float
    """How far virtual sizes may exceed ``total`` (1.0: not at all)."""
    max_volume: int
    """Largest single volume a create could succeed with now."""
    step: int
    """Volume sizes must be multiples of this (LVM extent, 512 for files)."""
    volumes: int = 0
    """Number of volumes, brick's and others'."""
    unmanaged: int = 0
    """Bytes provisioned to volumes brick did not create."""
    unmanaged_volumes: int = 0
    """How many volumes brick did not create."""


class ConnectionData(TypedDict):
    """The ``data`` of :class:`ConnectionInfo`: exactly what os-brick's
    LOCAL connector takes (``connector.connect_volume(data)``)."""

    device_path: str
    """The file or block device to open."""
    format: str
    """raw, qcow2 or vdi, as for :attr:`Volume.format`."""
    name: str
    """The volume's name."""


class ConnectionInfo(TypedDict):
    """What :meth:`~brick.drivers.base.VolumeDriver.attach` returns, in
    the shape os-brick and Nova use for a volume's connection info."""

    driver_volume_type: Literal['local']
    data: ConnectionData
