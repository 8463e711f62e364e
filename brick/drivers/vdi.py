# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""VirtualBox (vdi) image files in a directory."""

import contextlib
import os

from brick import exception
from brick.drivers import filepool
from brick.drivers.volume import Capability
from brick.local import filesystem


class VdiDriver(filepool.FilePoolDriver):
    """Volumes are vdi files ``<path>/<name>``, dynamic (sparse) or, with
    ``preallocation = full``, static.

    Needs on the host: ``qemu-img`` (qemu-utils) for every operation that
    writes an image and for listing (``qemu-img info``, cached).

    Grows by copy (:attr:`Capability.EXTEND_BY_COPY`): qemu-img cannot
    resize vdi at all, so extend creates a larger vdi beside the original
    (a dot-file in the pool, claimed with O_EXCL), ``qemu-img convert -n``
    the data into it, fsyncs it and renames it over the original.  That
    needs free space for a second copy of the data, takes time in
    proportion to the data, and must not run while a VM has the image
    open (the rename would leave the VM writing to the old, unlinked
    file; qemu's lock on the image makes the copy fail instead).  A
    sparse volume stays sparse: only the areas holding data are copied.

    ``preallocation = full`` makes static images whose blocks brick then
    reserves with fallocate: qemu-img 7.2 writes the block map of a static
    vdi but leaves its data area a hole, whatever ``preallocation`` says.

    Cannot: shrink, snapshots, overlay clones (vdi has no backing files),
    ``metadata`` or ``falloc`` preallocation.
    """

    name = 'vdi'
    format = 'vdi'
    PREALLOCATION = ('off', 'full')
    capabilities = frozenset({Capability.THIN, Capability.CLONE,
                              Capability.COPY_IMAGE,
                              Capability.EXTEND_BY_COPY})

    def _create_options(self):
        return {'static': self.preallocation == 'full'}

    def _convert_options(self):
        return {'static': 'on'} if self.preallocation == 'full' else {}

    def _allocate(self, path):
        """qemu-img 7.2 leaves the data area of a static vdi a hole (and
        ignores ``preallocation`` for vdi): measured, a 4 MiB static image
        occupies 4 KiB.  Reserve the blocks ourselves; fallocate keeps
        data, so this is also right after a copy."""
        if self.preallocation == 'off':
            return
        fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            os.posix_fallocate(fd, 0, os.fstat(fd).st_size)
        finally:
            os.close(fd)

    def _make(self, path, size):
        self.qemu_img.create(path, 'vdi', size, **self._create_options())
        self._allocate(path)
        self._remember(os.path.basename(path), size)

    def _copy(self, src, path, overlay):
        super()._copy(src, path, overlay)
        self._allocate(path)

    def _imported(self, path, size):
        self._allocate(path)

    def _grow_needs(self, volume, size):
        # A full second copy exists until the rename.
        return size if not self.thin else volume.allocated

    def _grow(self, volume, size):
        if volume.format != 'vdi':
            raise exception.NotSupported(
                driver=self.name, operation='extending a %s file (%s)'
                % (volume.format, volume.name), capabilities='vdi files')
        temp = self._temp_path(volume.name)
        os.close(filesystem.create_exclusive(temp))
        try:
            self.qemu_img.create(temp, 'vdi', size, **self._create_options())
            self._allocate(temp)
            # A vdi made a moment ago reads as zeros (a static one's data
            # area is a hole, or fallocated): --target-is-zero keeps the
            # zero areas of a sparse volume holes.  Without it a sparse
            # 512 MiB volume came out fully allocated, after seconds of
            # writing zeros.
            self.qemu_img.convert(volume.path, temp, 'vdi', 'vdi',
                                  target_exists=True, target_is_zero=True)
            _fsync(temp, os.O_NOFOLLOW)
            os.replace(temp, volume.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
        _fsync(self.path, os.O_DIRECTORY)  # makes the rename durable
        self._remember(volume.name, size)


def _fsync(path, flags):
    """fsync the file or (with ``os.O_DIRECTORY``) directory *path*."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
