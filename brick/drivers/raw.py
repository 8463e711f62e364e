# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Raw image files in a directory: brick's embedded default pool."""

import os

from brick.drivers import filepool
from brick.drivers.volume import Capability
from brick.local import filesystem


class RawDriver(filepool.Shrinkable, filepool.FilePoolDriver):
    """Volumes are raw files ``<path>/<name>``, sparse unless
    ``preallocation`` says otherwise.

    Needs on the host: a directory on any POSIX file system; no program
    for create, extend, shrink, delete, list, clone or capacity (they are
    system calls: ``open(O_EXCL)``, ``ftruncate``, ``posix_fallocate``,
    ``copy_file_range`` over ``SEEK_DATA`` extents).  qemu-img only for
    image import and export.

    Cannot: take snapshots or make copy-on-write clones (raw has no
    metadata; use qcow2, or a reflinking file system with :meth:`clone`).
    Every file in the directory is taken as raw, whatever its content: a
    raw pool never guesses a format (a guest could forge a qcow2 header).
    """

    name = 'raw'
    format = 'raw'
    PREALLOCATION = ('off', 'falloc', 'full')
    uses_qemu_img = False
    capabilities = frozenset({Capability.THIN, Capability.SHRINK,
                              Capability.CLONE, Capability.COPY_IMAGE})

    def _open(self, path):
        return os.open(path, os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC)

    def _make(self, path, size):
        fd = self._open(path)
        try:
            os.ftruncate(fd, size)
            filesystem.allocate(fd, 0, size, self.preallocation)
        finally:
            os.close(fd)

    def _grow(self, volume, size):
        fd = self._open(volume.path)
        try:
            os.ftruncate(fd, size)
            try:
                filesystem.allocate(fd, volume.size, size - volume.size,
                                    self.preallocation)
            except OSError:
                os.ftruncate(fd, volume.size)  # ENOSPC: leave it as it was
                raise
        finally:
            os.close(fd)

    def _reduce(self, volume, size):
        os.truncate(volume.path, size)

    def _copy(self, src, path, overlay):
        """Copy data extents only; holes stay holes (a sparse-aware
        ``cp``).  In a preallocated pool the holes are then allocated with
        fallocate, even for ``full`` (writing zeros would cost a second
        pass over the data for the same result on a local disk)."""
        src_fd = os.open(src.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        dst_fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            os.ftruncate(dst_fd, src.size)
            filesystem.copy_sparse(src_fd, dst_fd, src.size)
            if not self.thin:
                os.posix_fallocate(dst_fd, 0, src.size)
            os.fsync(dst_fd)
        finally:
            os.close(src_fd)
            os.close(dst_fd)

    def _convert_options(self):
        if self.preallocation == 'off':
            return {}
        return {'preallocation': self.preallocation}

    def _imported(self, path, size):
        # qemu-img writes a raw target at the source's exact size, which
        # may not be a whole number of sectors.
        if os.path.getsize(path) != size:
            os.truncate(path, size)
