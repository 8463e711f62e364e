# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""qcow2 image files in a directory."""

import os

from oslo_config import cfg

from brick import exception
from brick import units
from brick.drivers import filepool
from brick.drivers.volume import Capability
from brick.drivers.volume import Snapshot
from brick.local import qemu_img

CLUSTER_SIZE_OPT = cfg.IntOpt(
    'cluster_size', min=512, max=2 * units.Mi,
    help="""
qcow2 cluster size in bytes, a power of two from 512 to 2097152 (qcow2
driver only).  Unset uses qemu-img's default, 65536.  Larger clusters
mean less metadata and faster sequential I/O, but coarser copy-on-write
for snapshots and overlay clones.
""")


class Qcow2Driver(filepool.Shrinkable, filepool.FilePoolDriver):
    """Volumes are qcow2 files ``<path>/<name>``.

    Needs on the host: ``qemu-img`` (qemu-utils) for every operation that
    writes an image, and for listing (virtual sizes come from ``qemu-img
    info``, cached).

    Can: internal snapshots, full clones, overlay clones (a qcow2 child
    whose backing file is the source, named relative to the pool so the
    pool directory can move), shrink, image import/export.

    Cannot: shrink in a preallocated pool (SHRINK is not declared when
    ``preallocation`` is not ``off``: every resize there carries the
    pool's mode, and qemu-img refuses a preallocation mode together with
    ``--shrink``, "Preallocation can only be used for growing images");
    report the size an image had when a snapshot was taken (qemu-img info
    does not show it; snapshots carry the current size); delete, shrink
    or revert a
    volume that is another's backing file (:class:`VolumeBusy`, naming the
    children); touch an image a running VM has locked (qemu's image
    locking makes the command fail).
    """

    name = 'qcow2'
    format = 'qcow2'
    PREALLOCATION = ('off', 'metadata', 'falloc', 'full')
    THIN_MODES = ('off', 'metadata')
    OPTS = filepool.FILE_OPTS + [CLUSTER_SIZE_OPT]
    has_backing_files = True
    capabilities = frozenset({
        Capability.THIN, Capability.SNAPSHOT, Capability.CLONE,
        Capability.CLONE_OVERLAY, Capability.SHRINK, Capability.COPY_IMAGE})

    def __init__(self, executor=None, pool=None, cluster_size=None,
                 **options):
        super().__init__(executor, pool, **options)
        if cluster_size is not None and (
                isinstance(cluster_size, bool)
                or not isinstance(cluster_size, int)
                or not 512 <= cluster_size <= 2 * units.Mi
                or cluster_size & (cluster_size - 1)):
            raise exception.InvalidValue(
                field='cluster_size of pool %s' % self.pool,
                value=cluster_size,
                allowed='a power of two from 512 to 2097152 bytes')
        self.cluster_size = cluster_size

    def _capabilities(self):
        caps = super()._capabilities()
        if self.preallocation != 'off':
            return caps - {Capability.SHRINK}
        return caps

    def _create_options(self):
        return {'cluster_size': self.cluster_size,
                'preallocation': None if self.preallocation == 'off'
                else self.preallocation}

    def _grow_options(self):
        if self.preallocation == 'off':
            return {}
        return {'preallocation': self.preallocation}

    def _copy(self, src, path, overlay):
        if not overlay:
            return super()._copy(src, path, overlay)
        # A relative backing name is resolved against the child's
        # directory, so the pool can be moved or mounted elsewhere.
        self.qemu_img.create(path, 'qcow2', src.size, backing=src.name,
                             backing_format=src.format,
                             cluster_size=self.cluster_size)
        self._remember(os.path.basename(path), src.size, backing=src.name)

    def _clone(self, source, name, overlay):
        if overlay and self._get(source).format != 'qcow2':
            # Only a qcow2 image is guaranteed not to be probed as
            # something else by whoever opens the chain later.
            raise exception.NotSupported(
                driver=self.name, operation='an overlay of a non-qcow2 file',
                capabilities='clone')
        return super()._clone(source, name, overlay)

    # -- snapshots ---------------------------------------------------------

    def _image(self, volume):
        """One fresh ``qemu-img info`` (snapshots and size), re-cached."""
        usage = self._stat(volume)
        if usage is None:
            raise exception.VolumeNotFound(name=volume, pool=self.pool)
        self._cache.pop(volume, None)
        info = self._info(volume, usage)
        if info is None:
            raise exception.NotSupported(
                driver=self.name, operation='snapshots of %s, which is not '
                'a qcow2 image' % volume, capabilities='qcow2 files only')
        return info

    def _find(self, volume, name):
        """Return (image info, the snapshot called *name* or None)."""
        info = self._image(volume)
        return info, next((s for s in info.snapshots if s.name == name),
                          None)

    def _snapshot(self, volume, snap, size):
        # qemu-img info does not show the size an image had when a
        # snapshot was taken; the volume's current size is reported.
        return Snapshot(name=snap.name, volume=volume, size=size,
                        created_at=snap.date)

    @filepool.os_errors
    def _create_snapshot(self, volume, name):
        qemu_img.check_snapshot_name(name)
        with self._locked(volume):
            info, snap = self._find(volume, name)
            if snap is None:
                # qemu-img would take a duplicate name: checked above.
                self.qemu_img.snapshot_create(self._file(volume), name)
                info, snap = self._find(volume, name)
                if snap is None:
                    raise exception.BackendError(
                        reason='qemu-img did not record snapshot %r of %s'
                        % (name, volume))
            return self._snapshot(volume, snap, info.virtual_size)

    @filepool.os_errors
    def _list_snapshots(self, volume):
        info = self._image(volume)
        return [self._snapshot(volume, snap, info.virtual_size)
                for snap in info.snapshots]

    @filepool.os_errors
    def _delete_snapshot(self, volume, name):
        qemu_img.check_snapshot_name(name)
        with self._locked(volume):
            if self._find(volume, name)[1] is not None:
                self._cache.pop(volume, None)
                self.qemu_img.snapshot_delete(self._file(volume), name)

    @filepool.os_errors
    def _revert_snapshot(self, volume, name):
        qemu_img.check_snapshot_name(name)
        with self._locked(volume):
            if self._find(volume, name)[1] is None:
                raise exception.SnapshotNotFound(name=name, volume=volume)
            self._check_unused(volume)
            self._cache.pop(volume, None)
            self.qemu_img.snapshot_apply(self._file(volume), name)
