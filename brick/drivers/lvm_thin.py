# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.

"""Thin LVM: one thin LV per volume in an existing thin pool.

Needs on the host: lvm2, device-mapper with dm-thin-pool, the volume
group ``[pool:NAME]volume_group`` and the thin pool
``[pool:NAME]thin_pool`` in it.  Like TopoLVM, brick never creates a
thin pool for an operator: its size, chunk size and metadata size are the
operator's decisions.  Cannot shrink.

Snapshot ``S`` of volume ``V`` is the thin LV ``V..S`` (``..`` cannot
occur in a brick name, so it never collides with a volume), tagged
``brick-snapshot`` and ``brick-created=<ns since the epoch>``; it keeps
LVM's activation-skip flag and is not listed as a volume.  A clone is a
thin snapshot without that flag, tagged ``brick`` like any volume.

Capacity: ``total`` is the pool's data size, ``free`` what its Data%
leaves (LVM reports no usage for an inactive pool; brick then counts it
as empty), ``provisioned`` the virtual sizes of every thin LV in the pool
-- brick's snapshots included, since each can grow to its full size, so
with snapshots it exceeds the sum of the listed volumes.  Creates and
extends are refused past ``total * allocation_ratio``.

Commands per operation once :meth:`~LvmDriver.step` is known: create
and extend two (one ``lvs`` for the over-commit check, then
``lvcreate``/``lvextend``); delete two (the volume, then its snapshots,
so a volume in use keeps them); capacity, list one ``lvs``; snapshot
create two, delete one; revert up to five (read, deactivate, merge,
re-take the snapshot merging consumed, activate), or seven for a snapshot
an earlier merge unlinked from its volume (read, snapshot it, deactivate,
rename, rename, remove, activate).
"""

import dataclasses
import time

from oslo_config import cfg

from brick import exception
from brick import names
from brick import units
from brick.drivers import base
from brick.drivers import lvm as thick
from brick.drivers.volume import Capability
from brick.drivers.volume import CapacityReport
from brick.drivers.volume import Snapshot
from brick.drivers.volume import Volume
from brick.local import lvm

SNAPSHOT_TAG = 'brick-snapshot'
CREATED_TAG = 'brick-created='
SEPARATOR = '..'


def snapshot_lv(volume, snapshot):
    """The LV name of snapshot *snapshot* of volume *volume*."""
    return volume + SEPARATOR + snapshot


class LvmThinDriver(thick.LvmDriver):
    """Thin LVM volumes; see the module docstring.

    :param thin_pool: the existing thin pool in *volume_group*.
    :param allocation_ratio: how far virtual sizes may exceed the pool.
    """

    name = 'lvm-thin'
    capabilities = frozenset({Capability.THIN, Capability.SNAPSHOT,
                              Capability.CLONE, Capability.COPY_IMAGE})
    OPTS = [
        thick.VOLUME_GROUP_OPT,
        cfg.StrOpt(
            'thin_pool',
            required=True,
            help="""
Name of the existing thin pool (an LV of ``[pool:NAME]volume_group``) that
driver ``lvm-thin`` creates its thin volumes in.  brick never creates,
extends or removes the pool; size it, and set its auto-extension in
lvm.conf, yourself.
"""),
        base.ALLOCATION_RATIO_OPT,
        thick.LVM_CONFIG_OPT,
        thick.DEVICES_OPT,
    ]

    def __init__(self, executor=None, pool=None, volume_group=None,
                 thin_pool=None, allocation_ratio=1.0, lvm_config=None,
                 devices=None):
        super().__init__(executor, pool, volume_group=volume_group,
                         volume_clear='none', lvm_config=lvm_config,
                         devices=devices)
        if thin_pool is None:
            raise exception.InvalidValue(
                field='[pool:%s]thin_pool' % self.pool, value=None,
                allowed='the name of an existing thin pool in volume '
                        'group %s' % volume_group)
        names.validate(thin_pool, '[pool:%s]thin_pool' % self.pool)
        self.thin_pool = thin_pool
        self.allocation_ratio = base.check_allocation_ratio(
            self.pool, allocation_ratio)

    # -- what is ours ---------------------------------------------------------

    def _in_pool(self, lv):
        return lv.is_thin and lv.pool_lv == self.thin_pool

    def _is_volume(self, lv):
        return self._in_pool(lv) and SNAPSHOT_TAG not in lv.tags

    def _is_snapshot_of(self, lv, volume):
        head, sep, tail = lv.name.rpartition(SEPARATOR)
        return (self._in_pool(lv) and SNAPSHOT_TAG in lv.tags and sep
                and head == volume and tail[:1].isalnum())

    def _select(self, name):
        return 'lv_name="%s" && segtype="thin" && pool_lv="%s"' % (
            name, self.thin_pool)

    def _volume(self, lv):
        used = lv.data_percent
        return Volume(name=lv.name, size=lv.size, path=self.path(lv.name),
                      format='raw', managed=thick.TAG in lv.tags,
                      allocated=None if used is None
                      else int(lv.size * used / 100),
                      backing=lv.origin or None)

    def _pool_and_thins(self):
        """One ``lvs``: the thin pool and every thin LV in it."""
        lvs = self.lvm.lvs(self.volume_group)
        for lv in lvs:
            if lv.name == self.thin_pool and lv.is_thin_pool:
                return lv, [lv for lv in lvs if self._in_pool(lv)]
        raise exception.PoolNotFound(
            name=self.pool, reason='no thin pool %s/%s' % (
                self.volume_group, self.thin_pool))

    def _room(self, pool, thins, name, size):
        """Raise InsufficientCapacity if *size* more bytes of thin volume
        *name* would exceed ``pool size * allocation_ratio``."""
        provisioned = sum(lv.size for lv in thins if lv.name != name)
        available = int(pool.size * self.allocation_ratio) - provisioned
        if size > available:
            raise exception.InsufficientCapacity(
                pool=self.pool, requested=size, available=max(0, available))

    # -- required -------------------------------------------------------------

    def check(self):
        super().check()
        self._pool_and_thins()

    def _create(self, name, size):
        pool, thins = self._pool_and_thins()
        for lv in thins:
            if lv.name == name:
                return self._existing(name, size)
        self._room(pool, thins, name, size)
        return self._create_new_thin(name, size)

    def _create_lv(self, name, size):
        """For image import: raises VolumeExists if *name* exists."""
        pool, thins = self._pool_and_thins()
        self._room(pool, thins, name, size)
        self.lvm.create_thin_lv(self.volume_group, self.thin_pool, name,
                                size, tags=(thick.TAG,))

    def _create_new_thin(self, name, size):
        try:
            self.lvm.create_thin_lv(self.volume_group, self.thin_pool, name,
                                    size, tags=(thick.TAG,))
        except exception.VolumeExists:  # created since we looked
            return self._existing(name, size)
        return dataclasses.replace(self._created(name, size), allocated=0)

    def _created(self, name, size):
        # Unknown after a copy: thin LVs allocate what was written.
        return dataclasses.replace(super()._created(name, size),
                                   allocated=None)

    def _extend(self, name, size):
        pool, thins = self._pool_and_thins()
        lv = {lv.name: lv for lv in thins}.get(name)
        if lv is None or not self._is_volume(lv):
            raise exception.VolumeNotFound(name=name, pool=self.pool)
        if size == lv.size:
            return self._volume(lv)
        if size < lv.size:
            raise exception.InvalidSize(
                field='new volume size', value=size,
                reason='smaller than the current size (%s)'
                % units.human(lv.size),
                allowed='the current size or more: extending never '
                        'shrinks a volume (shrinking, which loses the data '
                        'past the new end, is an operation of its own)')
        self._room(pool, thins, name, size)
        self.lvm.extend_lv(self.volume_group, name, size)
        return self._volume(dataclasses.replace(lv, size=size))

    def _delete(self, name):
        self.lvm.remove_selected(self.volume_group, self._select(name),
                                 lv=name)
        self.lvm.remove_selected(
            self.volume_group,
            'lv_tags={%s} && pool_lv="%s" && lv_name=~"^%s[A-Za-z0-9]"' % (
                SNAPSHOT_TAG, self.thin_pool,
                lvm.select_regex(name + SEPARATOR)))

    def _capacity(self):
        pool, thins = self._pool_and_thins()
        step = self.step()
        volumes = [self._volume(lv) for lv in thins if self._is_volume(lv)]
        provisioned = sum(lv.size for lv in thins)
        used = (pool.data_percent or 0.0) / 100
        virtual = int(pool.size * self.allocation_ratio)
        unmanaged = [v for v in volumes if not v.managed]
        return CapacityReport(
            total=pool.size, free=int(pool.size * (1 - used)),
            provisioned=provisioned,
            allocation_ratio=self.allocation_ratio,
            max_volume=max(0, virtual - provisioned) // step * step,
            step=step, volumes=len(volumes),
            unmanaged=sum(v.size for v in unmanaged),
            unmanaged_volumes=len(unmanaged))

    # -- snapshots ------------------------------------------------------------

    def _snapshot(self, lv, volume):
        created = [tag[len(CREATED_TAG):] for tag in lv.tags
                   if tag.startswith(CREATED_TAG)]
        created_at = (int(created[0]) / 1e9 if created and
                      created[0].isdigit() else lv.created_at)
        return Snapshot(name=lv.name[len(volume) + len(SEPARATOR):],
                        volume=volume, size=lv.size, created_at=created_at)

    def _create_snapshot(self, volume, name):
        lv_name = snapshot_lv(volume, name)
        lvm.check_name(self.volume_group, lv_name)
        origin = self._read(volume)
        now = time.time_ns()
        try:
            self.lvm.create_thin_snapshot(
                self.volume_group, volume, lv_name,
                tags=(SNAPSHOT_TAG, '%s%d' % (CREATED_TAG, now)))
        except exception.VolumeExists as err:
            existing = self.lvm.lv(self.volume_group, lv_name)
            if not self._is_snapshot_of(existing, volume):
                raise exception.SnapshotExists(name=name,
                                               volume=volume) from err
            return self._snapshot(existing, volume)
        return Snapshot(name=name, volume=volume, size=origin.size,
                        created_at=now / 1e9)

    def _list_snapshots(self, volume):
        lvs = self.lvm.lvs(self.volume_group)
        if not any(lv.name == volume and self._is_volume(lv) for lv in lvs):
            raise exception.VolumeNotFound(name=volume, pool=self.pool)
        found = [self._snapshot(lv, volume) for lv in lvs
                 if self._is_snapshot_of(lv, volume)]
        return sorted(found, key=lambda s: (s.created_at or 0, s.name))

    def _delete_snapshot(self, volume, name):
        self.lvm.remove_selected(
            self.volume_group, 'lv_name="%s" && lv_tags={%s}' % (
                snapshot_lv(volume, name), SNAPSHOT_TAG),
            lv=snapshot_lv(volume, name))

    def _revert_snapshot(self, volume, name):
        group, lv_name = self.volume_group, snapshot_lv(volume, name)
        lvs = {lv.name: lv for lv in self.lvm.lvs(group)}
        origin, snap = lvs.get(volume), lvs.get(lv_name)
        if origin is None or not self._is_volume(origin):
            raise exception.VolumeNotFound(name=volume, pool=self.pool)
        if snap is None or not self._is_snapshot_of(snap, volume):
            raise exception.SnapshotNotFound(name=name, volume=volume)
        if origin.is_open:
            raise exception.VolumeBusy(
                name=volume, reason='its device is open; detach it before '
                                    'reverting it')
        if snap.origin == volume:
            self._revert_by_merge(volume, origin, snap)
        else:
            self._revert_by_swap(volume, origin, snap)
        if origin.active:
            self.lvm.activate(group, volume)

    def _revert_by_merge(self, volume, origin, snap):
        """``lvconvert --merge``: atomic, but it consumes the snapshot (it
        is taken again, keeping its creation tag) and unlinks the other
        snapshots of the volume from it (their ``origin`` turns empty)."""
        group = self.volume_group
        if origin.active is not False:
            self.lvm.deactivate(group, volume)
        self.lvm.merge_snapshot(group, snap.name)
        self.lvm.create_thin_snapshot(
            group, volume, snap.name, tags=(SNAPSHOT_TAG,) + tuple(
                t for t in snap.tags if t.startswith(CREATED_TAG)))

    def _revert_by_swap(self, volume, origin, snap):
        """For a snapshot no longer linked to its volume (after an earlier
        merge): a new thin snapshot of it takes the volume's place."""
        group = self.volume_group
        new, old = volume + SEPARATOR + '-new', volume + SEPARATOR + '-old'
        self.lvm.create_thin_snapshot(group, snap.name, new, tags=origin.tags,
                                      activation_skip=False)
        try:
            if origin.active is not False:
                self.lvm.deactivate(group, volume)
        except exception.BrickException:
            self.lvm.remove_lv(group, new)
            raise
        self.lvm.rename_lv(group, volume, old)
        self.lvm.rename_lv(group, new, volume)
        self.lvm.remove_lv(group, old)

    # -- clone ----------------------------------------------------------------

    def _clone(self, source, name, overlay=False):
        """A thin snapshot without activation skip: no data is copied,
        and the clone does not depend on its source afterwards."""
        pool, thins = self._pool_and_thins()
        by_name = {lv.name: lv for lv in thins}
        src = by_name.get(source)
        if src is None or not self._is_volume(src):
            raise exception.VolumeNotFound(name=source, pool=self.pool)
        if name in by_name:
            raise exception.VolumeExists(
                name=name, pool=self.pool, existing='a volume of that name',
                requested='a clone of %s' % source)
        self._room(pool, thins, name, src.size)
        self.lvm.create_thin_snapshot(self.volume_group, source, name,
                                      tags=(thick.TAG,),
                                      activation_skip=False)
        return Volume(name=name, size=src.size, path=self.path(name),
                      format='raw', managed=True, allocated=0,
                      backing=source)

