# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.

"""Thick LVM: one linear logical volume per volume, in an existing VG.

Needs on the host: lvm2 (the ``lvm`` binary) and the volume group named
by ``[pool:NAME]volume_group``; device-mapper for attach, clone, image
copy and ``volume_clear = zero`` (which also needs ``blkdiscard``);
``qemu-img`` for clone and image copy.  It cannot snapshot (a thick LV
with snapshots cannot be extended while they are active; use
``lvm-thin``) and cannot shrink.

Volumes brick creates carry the LV tag ``brick``; every other linear LV
of the group is listed with ``managed=False`` and counted as used.
Commands per operation once :meth:`LvmDriver.step` is known (the first
call costs one ``vgs``): create, extend, delete, detach one each;
delete with ``volume_clear = zero`` four (read, activate, zero, remove);
capacity two (``vgs``, ``lvs``).

Capacity: ``total`` is the VG's size less the extents of LVs that are not
volumes (thin pools, their metadata and spare), so ``total - provisioned
== free``; with only linear LVs in the VG it is the VG's size.
"""

import contextlib
import os

from oslo_config import cfg

from brick import exception
from brick import names
from brick import units
from brick.drivers import base
from brick.drivers.volume import Capability
from brick.drivers.volume import CapacityReport
from brick.drivers.volume import Volume
from brick.local import lvm
from brick.local import qemu_img

TAG = 'brick'
"""LV tag of every volume brick created."""

VOLUME_GROUP_OPT = cfg.StrOpt(
    'volume_group',
    required=True,
    help="""
Name of the existing LVM volume group holding this pool's volumes (drivers
``lvm`` and ``lvm-thin``).  brick never creates or removes a volume group;
logical volumes in it that brick did not create are listed as unmanaged
and their space counts as used.
""")
LVM_CONFIG_OPT = cfg.StrOpt(
    'lvm_config',
    help="""
Extra LVM configuration passed as ``--config`` to every lvm2 command of
this pool (drivers ``lvm`` and ``lvm-thin``), for example a device filter
such as ``devices { filter = [ "a|/dev/sdb|", "r|.*|" ] }``.  Empty uses
the host's lvm.conf alone.
""")
DEVICES_OPT = cfg.ListOpt(
    'devices',
    default=[],
    help="""
Block devices passed as ``--devices`` to every lvm2 command of this pool
(drivers ``lvm`` and ``lvm-thin``), so LVM scans only the physical volumes
of ``[pool:NAME]volume_group``.  Empty lets LVM scan every device, which is
slower on hosts with many disks.
""")

class LvmDriver(base.VolumeDriver):
    """Thick LVM volumes; see the module docstring.

    :param volume_group: the existing VG.
    :param volume_clear: ``zero`` or ``none``; see :attr:`OPTS`.
    :param lvm_config: extra ``--config`` text for every lvm2 command.
    :param devices: devices passed as ``--devices`` to every command.
    """

    name = 'lvm'
    capabilities = frozenset({Capability.CLONE, Capability.COPY_IMAGE})
    OPTS = [
        VOLUME_GROUP_OPT,
        cfg.StrOpt(
            'volume_clear',
            default='zero',
            choices=[('none', 'remove the LV as it is'),
                     ('zero', 'write zeros over the whole LV first')],
            help="""
What driver ``lvm`` does to a volume's data before removing its logical
volume.  ``zero`` writes zeros over the whole LV, so that the next volume
given the same extents cannot read the previous tenant's data; it costs a
full write of the volume, minutes for large ones.  ``none`` removes it at
once; use it only when the disks are encrypted or single-tenant.
"""),
        LVM_CONFIG_OPT,
        DEVICES_OPT,
    ]

    def __init__(self, executor=None, pool=None, volume_group=None,
                 volume_clear='zero', lvm_config=None, devices=None):
        super().__init__(executor, pool)
        if volume_group is None:
            raise exception.InvalidValue(
                field='[pool:%s]volume_group' % self.pool, value=None,
                allowed='the name of an existing LVM volume group')
        names.validate(volume_group, '[pool:%s]volume_group' % self.pool)
        if volume_clear not in ('none', 'zero'):
            raise exception.InvalidValue(
                field='[pool:%s]volume_clear' % self.pool,
                value=volume_clear, allowed='none, zero')
        self.volume_group = volume_group
        self.volume_clear = volume_clear
        self.lvm = lvm.LVM(executor, config=lvm_config, devices=devices)
        self.qemu_img = qemu_img.QemuImg(executor)
        self._step = None

    # -- helpers shared with lvm-thin -----------------------------------------

    def path(self, name):
        """The device path of volume *name* once active."""
        return '/dev/%s/%s' % (self.volume_group, name)

    def _is_volume(self, lv):
        """True for the LVs this driver lists as volumes."""
        return not lv.is_thin and not lv.is_pool

    def _select(self, name):
        """LVM selection matching exactly the LV that is volume *name*."""
        return 'lv_name="%s" && segtype!="thin" && segtype!~"-pool$"' % name

    def _volume(self, lv):
        return Volume(name=lv.name, size=lv.size, path=self.path(lv.name),
                      format='raw', managed=TAG in lv.tags,
                      allocated=lv.size, backing=lv.origin or None)

    def _read(self, name):
        """Return the LV of volume *name* (one ``lvs``)."""
        lv = self.lvm.lv(self.volume_group, name)
        if not self._is_volume(lv):
            # A thin pool or another driver's LV is not one of ours.
            raise exception.VolumeNotFound(name=name, pool=self.pool)
        return lv

    def _existing(self, name, size):
        """After "already exists": return it if it has *size*."""
        lv = self._read_or_exists(name, size)
        if lv.size != size:
            raise exception.VolumeExists(
                name=name, pool=self.pool, existing=units.human(lv.size),
                requested=units.human(size))
        return self._volume(lv)

    def _read_or_exists(self, name, size):
        try:
            return self._read(name)
        except exception.VolumeNotFound as err:
            raise exception.VolumeExists(
                name=name, pool=self.pool, existing='an LV of another kind',
                requested=units.human(size)) from err

    # -- required -------------------------------------------------------------

    def check(self):
        self._step = self.lvm.vg(self.volume_group).extent_size

    def step(self):
        """The VG's extent size (read once, with one ``vgs``)."""
        if self._step is None:
            self._step = self.lvm.vg(self.volume_group).extent_size
        return self._step

    def _create(self, name, size):
        try:
            self.lvm.create_lv(self.volume_group, name, size, tags=(TAG,))
        except exception.VolumeExists:
            return self._existing(name, size)
        return self._created(name, size)

    def _extend(self, name, size):
        """One ``lvextend``.  The result is built from the request, not
        re-read: it reports ``managed=True`` without reading the tag."""
        if not self.lvm.extend_lv(self.volume_group, name, size):
            return self._volume(self._read(name))
        return self._created(name, size)

    def _delete(self, name):
        if self.volume_clear == 'zero':
            try:
                lv = self._read(name)
            except exception.VolumeNotFound:
                return
            if lv.is_open:
                raise exception.VolumeBusy(name=name,
                                           reason='its device is open')
            self.lvm.activate(self.volume_group, name)
            self.executor('blkdiscard', '--zeroout', self.path(name),
                          run_as_root=True)
        # The selection keeps a thin pool or a thin LV of the same name
        # out of reach; nothing matching is "already deleted".
        self.lvm.remove_selected(self.volume_group, self._select(name),
                                 lv=name)

    def _get(self, name):
        return self._volume(self._read(name))

    def _list(self):
        return [self._volume(lv) for lv in self.lvm.lvs(self.volume_group)
                if self._is_volume(lv)]

    def _capacity(self):
        group = self.lvm.vg(self.volume_group)
        self._step = group.extent_size
        volumes = self._list()
        provisioned = sum(volume.size for volume in volumes)
        unmanaged = [volume for volume in volumes if not volume.managed]
        # Extents held by LVs that are not volumes (a thin pool with its
        # metadata and spare) can never hold a thick volume: leave them
        # out of total, so that total - provisioned == free.
        total = group.free + provisioned
        return CapacityReport(
            total=total, free=group.free, provisioned=provisioned,
            allocation_ratio=1.0, max_volume=group.free,
            step=group.extent_size, volumes=len(volumes),
            unmanaged=sum(volume.size for volume in unmanaged),
            unmanaged_volumes=len(unmanaged))

    def _attach(self, name):
        lv = self._read(name)
        if not lv.active:
            self.lvm.activate(self.volume_group, name,
                              ignore_skip=lv.skips_activation)
        return {'driver_volume_type': 'local',
                'data': {'device_path': self.path(name), 'format': 'raw',
                         'name': name}}

    def _detach(self, name):
        # A selection: a missing volume or another kind of LV is left
        # alone instead of failing (detach must be repeatable).
        self.lvm.deactivate_selected(self.volume_group, self._select(name),
                                     lv=name)

    # -- optional: clone and image copy ---------------------------------------

    def _clone(self, source, name, overlay=False):
        src = self._read(source)

        def copy():
            with self._active(source, src):
                self.qemu_img.convert(self.path(source), self.path(name),
                                      'raw', 'raw', target_exists=True,
                                      run_as_root=True)
        return self._copy_into_new(name, src.size, copy)

    def _import_image(self, name, source, source_format=None,
                      progress=None):
        # Refuses sources naming backing or data files (they would copy
        # any host file into the volume); qemu-img never probes it.
        info = self.qemu_img.inspect_untrusted(source, source_format)
        size = units.round_up(info.virtual_size, self.step())
        return self._copy_into_new(name, size, lambda: self.qemu_img.convert(
            source, self.path(name), info.format, 'raw', target_exists=True,
            progress=progress, run_as_root=True))

    def _export_image(self, name, target, target_format='raw',
                      progress=None):
        lv = self._read(name)
        with self._active(name, lv):
            # export_image() has checked that an existing target is a
            # device.
            self.qemu_img.convert(self.path(name), target, 'raw',
                                  target_format,
                                  target_exists=os.path.exists(target),
                                  progress=progress, run_as_root=True)

    def _copy_into_new(self, name, size, copy):
        """Create volume *name* (it must not exist), run *copy* while it
        is active, and remove it again if anything fails."""
        try:
            self._create_lv(name, size)
        except exception.VolumeExists as err:
            raise exception.VolumeExists(
                name=name, pool=self.pool, existing='a volume of that name',
                requested='a new volume of %s' % units.human(size)) from err
        try:
            with self._active(name, None):
                copy()
        except BaseException:
            with contextlib.suppress(exception.BrickException):
                self.lvm.remove_lv(self.volume_group, name)
            raise
        return self._created(name, size)

    def _created(self, name, size):
        """The volume brick just made, without reading it back."""
        return Volume(name=name, size=size, path=self.path(name),
                      format='raw', managed=True, allocated=size)

    def _create_lv(self, name, size):
        self.lvm.create_lv(self.volume_group, name, size, tags=(TAG,))

    def _active(self, name, lv):
        """Context: *name* is active inside and as before afterwards
        (*lv* is what was read of it, None for a new volume)."""
        return _Activated(self, name, lv)


class _Activated:
    def __init__(self, driver, name, lv):
        self.driver, self.name, self.lv = driver, name, lv

    def __enter__(self):
        if self.lv is None or not self.lv.active:
            self.driver.lvm.activate(
                self.driver.volume_group, self.name,
                ignore_skip=bool(self.lv and self.lv.skips_activation))

    def __exit__(self, kind, value, traceback):
        if self.lv is None or not self.lv.active:
            try:
                self.driver.lvm.deactivate(self.driver.volume_group,
                                           self.name)
            except exception.BrickException:
                if kind is None:
                    raise
