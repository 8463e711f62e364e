# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""What the raw, qcow2 and vdi drivers share: a directory as a pool.

Volume ``NAME`` is the file ``<path>/NAME``.  Every regular file whose
name does not start with a dot is a volume; links and directories are
not, and are never followed.

**What brick made** is recorded in a sidecar directory ``<path>/.brick/``:
an empty file ``managed/NAME`` per volume brick created (and ``locks/NAME``
while brick changes a volume).  Not xattrs: tmpfs before Linux 6.6 and
many NFS servers lack ``user.*`` xattrs, so they would need this as a
fallback anyway; the sidecar also survives ``cp -r``/``rsync`` without
``-X``, is read for a whole pool with one ``listdir``, and an operator
sees it with ``ls``.  The marker is written before the volume file and
removed after it, so a crash leaves at worst a marker without a file
(ignored, reused by the next create), never a brick volume taken for an
unmanaged one.

**Caching**: the virtual size of a qcow2 or vdi file needs ``qemu-img
info``; results are cached per driver instance, keyed on ``(st_dev,
st_ino, st_size, st_mtime_ns)``, so repeated ``list()``/``capacity()``
calls run no command until a file is replaced, resized or written.  The
driver forgets a file's entry whenever it changes the file (mtime
granularity could hide a quick change), and enters what it just asked
qemu-img to make, so a create is not followed by an ``info``.

**Capacity checks on the node** are the hard limits only: a volume larger
than ``total * allocation_ratio`` of the file system, or a preallocated
one larger than the free space, is refused before anything is written.
Keeping the sum of promises under that is the scheduler's job, from
:meth:`FilePoolDriver.capacity`.
"""

import contextlib
import os
import secrets

from oslo_config import cfg
from oslo_log import log as logging

from brick import exception
from brick import units
from brick.drivers import base
from brick.drivers.volume import Capability
from brick.drivers.volume import CapacityReport
from brick.drivers.volume import Volume
from brick.local import filesystem
from brick.local import qemu_img

LOG = logging.getLogger(__name__)

SIDECAR = '.brick'
TEMP_PREFIX = '.brick-tmp-'

PATH_OPT = cfg.StrOpt(
    'path', required=True, sample_default='/var/lib/brick/pools/NAME',
    help="""
Directory holding the pool's image files (raw, qcow2 and vdi drivers).
Created with mode 0700 by the driver's check if missing.  Each volume is
the file <path>/<volume name>; files put there by hand are reported as
unmanaged volumes and counted as used.
""")

PREALLOCATION_OPT = cfg.StrOpt(
    'preallocation', default='off',
    choices=[
        ('off', 'sparse images: space is allocated on write (thin)'),
        ('metadata', 'qcow2 only: allocate the metadata, not the data'),
        ('falloc', 'raw and qcow2: reserve the blocks with fallocate, '
                   'fast'),
        ('full', 'raw, qcow2: write zeros over the whole image, slow but '
                 'allocates thin storage underneath too; vdi: a static '
                 'image whose blocks are reserved with fallocate'),
    ],
    help="""
How image files of the raw, qcow2 and vdi drivers are allocated when
created or grown.  Anything but "off" makes creates need free space for
the whole volume and disables shrink for qcow2.
""")

FILE_OPTS = [PATH_OPT, base.ALLOCATION_RATIO_OPT, PREALLOCATION_OPT]

os_errors = filesystem.translate_errors


class FilePoolDriver(base.VolumeDriver):
    """A directory of image files in one format (see the module doc).

    Subclasses set :attr:`format`, :attr:`PREALLOCATION` and the
    format-specific ``_make``/``_grow``/``_copy`` steps; the defaults here
    run qemu-img.
    """

    format: str | None = None
    """The format of every file brick makes in this pool."""
    PREALLOCATION: tuple[str, ...] = ('off',)
    """Preallocation modes this format allows."""
    THIN_MODES: tuple[str, ...] = ('off',)
    OPTS = FILE_OPTS
    uses_qemu_img = True
    """Whether sizes come from ``qemu-img info`` and check() needs it."""
    has_backing_files = False
    """Whether a volume can be another's backing file (qcow2)."""

    def __init__(self, executor=None, pool=None, path=None,
                 allocation_ratio=1.0, preallocation='off'):
        super().__init__(executor, pool)
        if not isinstance(path, str) or not os.path.isabs(path):
            raise exception.InvalidValue(
                field='path of pool %s' % self.pool, value=path,
                allowed='an absolute directory path')
        if preallocation not in self.PREALLOCATION:
            raise exception.InvalidValue(
                field='preallocation of driver %s' % self.name,
                value=preallocation, allowed=', '.join(self.PREALLOCATION))
        self.path = os.path.normpath(path)
        self.allocation_ratio = base.check_allocation_ratio(
            self.pool, allocation_ratio)
        self.preallocation = preallocation
        self.thin = preallocation in self.THIN_MODES
        self.capabilities = self._capabilities()
        self.qemu_img = qemu_img.QemuImg(executor)
        self.sidecar = filesystem.Sidecar(self.path, SIDECAR, 'managed')
        self._locked = self.sidecar.locked
        self._cache = {}

    def _capabilities(self):
        """The class's capabilities, without THIN when preallocated."""
        caps = self.__class__.capabilities
        return caps if self.thin else caps - {Capability.THIN}

    def _file(self, name):
        return os.path.join(self.path, name)

    # -- looking ---------------------------------------------------------

    def check(self):
        """Create the pool directory (0700, with parents) if missing,
        check it is a writable directory, and that qemu-img runs.

        :raises brick.exception.PoolNotFound: not a usable directory.
        :raises brick.exception.ToolNotFound: qemu-img is missing.
        """
        try:
            if not os.path.isdir(self.path):
                os.makedirs(self.path, 0o700)
                os.chmod(self.path, 0o700)
            self.sidecar.ensure()
        except OSError as err:
            raise exception.PoolNotFound(
                name=self.pool, reason='cannot use directory %s: %s'
                % (self.path, err)) from err
        if not os.access(self.path, os.W_OK | os.X_OK):
            raise exception.PoolNotFound(
                name=self.pool, reason='directory %s is not writable'
                % self.path)
        if self.uses_qemu_img:
            self.qemu_img.version()

    def step(self):
        """512 bytes: qemu-img rounds every format's size to sectors."""
        return 512

    def _stat(self, name):
        try:
            return filesystem.usage(self._file(name))
        except FileNotFoundError:
            return None

    def _info(self, name, usage):
        """Cached ``qemu-img info`` of a file, None if it is not in the
        pool's format (then it is reported as raw)."""
        cached = self._cache.get(name)
        if cached and cached[0] == usage.key:
            return cached[1]
        try:
            info = self.qemu_img.info(self._file(name), self.format)
        except exception.CommandFailed as err:
            LOG.warning('Pool %s: %s is not a %s image, reporting it as '
                        'raw: %s', self.pool, name, self.format, err)
            info = None
        self._cache[name] = (usage.key, info)
        return info

    def _remember(self, name, size, fmt=None, backing=None):
        """Enter what qemu-img was just told to make into the cache (only
        images in the pool's format have cached info)."""
        usage = self._stat(name)
        if usage is None or (fmt or self.format) != self.format:
            self._cache.pop(name, None)
            return
        self._cache[name] = (usage.key, qemu_img.ImageInfo(
            filename=self._file(name), format=self.format,
            virtual_size=size, backing_file=backing,
            backing_format=self.format if backing else None))

    def _volume(self, name, usage, managed):
        info = self._info(name, usage) if self.uses_qemu_img else None
        backing = info.backing_file if info else None
        if backing and os.path.dirname(backing) in ('', '.', self.path):
            backing = os.path.basename(backing)
        return Volume(name=name, path=self._file(name),
                      size=info.virtual_size if info else usage.apparent,
                      format=info.format if info else 'raw',
                      managed=managed, allocated=usage.allocated,
                      backing=backing)

    @os_errors
    def _get(self, name):
        usage = self._stat(name)
        if usage is None:
            raise exception.VolumeNotFound(name=name, pool=self.pool)
        volume = self._volume(name, usage, self.sidecar.get(name))
        if volume.managed and volume.format != self.format:
            # Never hand out a broken image of ours as raw data.
            raise exception.BackendError(
                reason='volume %s of pool %s is not a readable %s image '
                       '(qemu-img info failed; see the log)'
                % (name, self.pool, self.format))
        return volume

    @os_errors
    def _list(self):
        managed = self.sidecar.flagged()
        volumes = []
        with os.scandir(self.path) as entries:
            for entry in entries:
                if entry.name.startswith('.'):
                    continue
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:  # deleted while we looked
                    continue
                usage = filesystem.usage(st=st)
                if usage is not None:
                    volumes.append(self._volume(entry.name, usage,
                                                entry.name in managed))
        seen = {volume.name for volume in volumes}
        for name in set(self._cache) - seen:
            self._cache.pop(name, None)
        return sorted(volumes, key=lambda volume: volume.name)

    @os_errors
    def _capacity(self):
        """``max_volume`` is the smaller of the virtual room left
        (``total * ratio - provisioned``) and the physical room
        (``free``, times the ratio for sparse pools): on a file system
        shared with other data, ``free`` is what really bounds a new
        volume, which may be written full."""
        fs = filesystem.capacity(self.path)
        volumes = self._list()
        provisioned = sum(v.size for v in volumes)
        unmanaged = [v for v in volumes if not v.managed]
        physical = fs.free * self.allocation_ratio if self.thin else fs.free
        room = min(fs.total * self.allocation_ratio - provisioned, physical)
        step = self.step()
        return CapacityReport(
            total=fs.total, free=fs.free, provisioned=provisioned,
            allocation_ratio=self.allocation_ratio,
            max_volume=max(0, int(room) // step * step), step=step,
            volumes=len(volumes), unmanaged=sum(v.size for v in unmanaged),
            unmanaged_volumes=len(unmanaged))

    def _attach(self, name):
        volume = self._get(name)
        return {'driver_volume_type': 'local',
                'data': {'device_path': volume.path,
                         'format': volume.format, 'name': name}}

    # -- changing --------------------------------------------------------

    def _check_fits(self, size, allocate):
        """Refuse a volume of virtual *size* needing *allocate* bytes now.
        """
        fs = filesystem.capacity(self.path)
        limit = int(fs.total * self.allocation_ratio)
        if size > limit:
            raise exception.InsufficientCapacity(
                pool=self.pool, requested=size, available=limit)
        if allocate > fs.free:
            raise exception.InsufficientCapacity(
                pool=self.pool, requested=allocate, available=fs.free)

    def _existing(self, name, size):
        """Return volume *name* if it exists with *size*, None if it does
        not exist (or is not a file: :meth:`_new` refuses that)."""
        usage = self._stat(name)
        if usage is None:
            return None
        if usage.apparent == 0 and self.sidecar.get(name):
            # Our claim of a create that crashed before writing (no volume
            # is 0 bytes; we hold the lock, so no create is running).
            os.unlink(self._file(name))
            return None
        volume = self._get(name)
        if volume.size != size:
            raise exception.VolumeExists(
                name=name, pool=self.pool,
                existing='size %d' % volume.size, requested='size %d' % size)
        return volume

    def _absent(self, name, requested):
        if os.path.lexists(self._file(name)):
            raise exception.VolumeExists(
                name=name, pool=self.pool, requested=requested,
                existing='a volume' if self._stat(name) else 'a non-file')

    @contextlib.contextmanager
    def _claim(self, name):
        """Mark *name*, claim its file with O_EXCL (mode 0600) and yield
        the path; on any failure remove both again."""
        self.sidecar.set(name)
        path = self._file(name)
        try:
            os.close(filesystem.create_exclusive(path))
        except FileExistsError as err:
            self.sidecar.set(name, False)
            raise exception.VolumeExists(
                name=name, pool=self.pool, existing='a file',
                requested='a new volume') from err
        try:
            yield path
        except BaseException:
            self._cache.pop(name, None)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            self.sidecar.set(name, False)
            raise

    @os_errors
    def _create(self, name, size):
        with self._locked(name):
            existing = self._existing(name, size)
            if existing is not None:
                return existing
            return self._new(name, size, 0 if self.thin else size,
                             'a new volume', lambda p: self._make(p, size))

    def _make(self, path, size):
        self.qemu_img.create(path, self.format, size,
                             **self._create_options())
        self._remember(os.path.basename(path), size)

    def _create_options(self):
        return {}

    @os_errors
    def _delete(self, name):
        with self._locked(name):
            if self._stat(name) is None:
                return
            self._check_unused(name)
            os.unlink(self._file(name))
            self._cache.pop(name, None)
            self.sidecar.set(name, False)

    def _check_unused(self, name):
        """Raise VolumeBusy if another volume depends on *name*."""
        if not self.has_backing_files:
            return
        children = [v.name for v in self._list() if v.backing == name]
        if children:
            raise exception.VolumeBusy(
                name=name, reason='it is the backing file of %s'
                % ', '.join(children))

    @os_errors
    def _extend(self, name, size):
        with self._locked(name):
            volume = self._get(name)
            if size == volume.size:
                return volume
            if size < volume.size:
                raise exception.InvalidSize(
                    field='new volume size', value=size,
                    reason='smaller than the current size %s'
                    % units.show(volume.size),
                    allowed='at least the current size: extending never '
                            'shrinks a volume (shrinking, which loses the '
                            'data past the new end, is an operation of its '
                            'own)')
            self._check_fits(size, self._grow_needs(volume, size))
            self._cache.pop(name, None)
            self._grow(volume, size)
            return self._get(name)

    def _grow_needs(self, volume, size):
        return 0 if self.thin else size - volume.size

    def _grow(self, volume, size):
        self.qemu_img.resize(volume.path, size, volume.format,
                             **self._grow_options())
        self._remember(volume.name, size, volume.format, volume.backing)

    def _grow_options(self):
        return {}

    def _new(self, name, size, allocate, requested, fill):
        """Check, claim and fill (``fill(path)``) a new volume."""
        self._absent(name, requested)
        self._check_fits(size, allocate)
        with self._claim(name) as path:
            fill(path)
        return self._get(name)

    @os_errors
    def _clone(self, source, name, overlay):
        with self._locked(source, name):
            src = self._get(source)
            needs = 0 if overlay else src.allocated if self.thin else src.size
            return self._new(name, src.size, needs, 'a clone of %s' % source,
                             lambda path: self._copy(src, path, overlay))

    def _copy(self, src, path, overlay):
        self.qemu_img.convert(src.path, path, src.format, self.format,
                              options=self._convert_options())
        self._remember(os.path.basename(path), src.size)

    def _convert_options(self):
        return self._create_options()

    @os_errors
    def _import_image(self, name, source, source_format, progress):
        info = self.qemu_img.inspect_untrusted(source, source_format)
        size = units.round_up(info.virtual_size, self.step())

        def fill(path):
            self.qemu_img.convert(source, path, info.format, self.format,
                                  progress=progress,
                                  options=self._convert_options())
            self._imported(path, size)
        with self._locked(name):
            return self._new(name, size, 0 if self.thin else size,
                             'an import of %s' % source, fill)

    def _imported(self, path, size):
        """Hook: fix up a freshly converted file (raw rounds its size)."""

    @os_errors
    def _export_image(self, name, target, target_format, progress):
        volume = self._get(name)
        # export_image() has checked that an existing target is a device.
        self.qemu_img.convert(volume.path, target, volume.format,
                              target_format,
                              target_exists=os.path.exists(target),
                              progress=progress)

    def _temp_path(self, name):
        return os.path.join(self.path, '%s%s-%s' % (
            TEMP_PREFIX, name, secrets.token_hex(4)))


class Shrinkable:
    """Mixin for file pools whose format can shrink (raw, qcow2): the
    drivers that declare :attr:`Capability.SHRINK` inherit ``_shrink``,
    the others (vdi) do not carry it as dead code."""

    @os_errors
    def _shrink(self, name, size):
        with self._locked(name):
            volume = self._get(name)
            if size > volume.size:
                raise exception.InvalidSize(
                    field='new volume size', value=size,
                    reason='larger than the current size %s'
                    % units.show(volume.size),
                    allowed='at most the current size: shrinking never '
                            'grows a volume (extending does)')
            if size < volume.size:
                self._check_unused(name)
                self._cache.pop(name, None)
                self._reduce(volume, size)
            return self._get(name)

    def _reduce(self, volume, size):
        self.qemu_img.resize(volume.path, size, volume.format, shrink=True)
        self._remember(volume.name, size, volume.format, volume.backing)
