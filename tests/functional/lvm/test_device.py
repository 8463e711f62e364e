# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The LVM device tier: activated LVs, real data (inside the QEMU guest).

Every test here needs device-mapper; ``device_vg`` skips elsewhere, and
tests/functional/guest.py runs the ``device``-marked tests in the guest.
"""

import os
import stat

import pytest

from brick import exception
from brick import units
from brick.drivers import lvm_thin
from brick.local import lvm
from tests import conftest
from tests.functional.lvm.conftest import BlockIO

pytestmark = pytest.mark.device

MiB = units.Mi


def pattern(byte, length=MiB):
    return bytes([byte]) * length


@pytest.fixture
def thick(device_vg):
    driver = device_vg.driver('lvm', volume_clear='none')
    driver.check()
    return driver


@pytest.fixture
def thin(device_vg, thin_pool):
    driver = device_vg.driver('lvm-thin', thin_pool=thin_pool)
    driver.check()
    return driver


def device_size(path):
    with open(path, 'rb') as device:
        return device.seek(0, os.SEEK_END)


def test_linear_data_survives_detach_and_extend(thick):
    io = BlockIO(thick)
    thick.create('vol-1', 8 * MiB)
    io.write('vol-1', 0, pattern(0xA1))
    io.write('vol-1', 7 * MiB, pattern(0xA2))
    assert io.read('vol-1', 0, MiB) == pattern(0xA1)
    thick.extend('vol-1', 16 * MiB)
    path = thick.attach('vol-1')['data']['device_path']
    assert device_size(path) == 16 * MiB
    thick.detach('vol-1')
    assert io.read('vol-1', 7 * MiB, MiB) == pattern(0xA2)
    assert io.read('vol-1', 0, MiB) == pattern(0xA1)


def test_attach_detach_repeat_and_os_brick_connects(thick):
    from os_brick.initiator import connector

    thick.create('vol-1', 8 * MiB)
    for _ in range(2):
        info = thick.attach('vol-1')
        assert thick.attach('vol-1') == info
        path = info['data']['device_path']
        assert stat.S_ISBLK(os.stat(path).st_mode)
        local = connector.InitiatorConnector.factory('LOCAL', None)
        device = local.connect_volume(info['data'])
        assert device == {'type': 'local', 'path': path}
        assert stat.S_ISBLK(os.stat(device['path']).st_mode)
        local.disconnect_volume(info['data'], device)
        thick.detach('vol-1')
        thick.detach('vol-1')
        assert not os.path.exists(path)


def _write_delete_recreate(device_vg, volume_clear):
    """Fill a volume, delete it, create one on the same extents and
    return what the new one shows after its first 4 KiB."""
    driver = device_vg.driver('lvm', volume_clear=volume_clear)
    io = BlockIO(driver)
    driver.create('old', 8 * MiB)
    io.write('old', 0, pattern(0xEE, 8 * MiB))
    driver.delete('old')
    driver.create('new', 8 * MiB)  # LVM reuses the freed extents
    data = io.read('new', 64 * units.Ki, 8 * MiB - 64 * units.Ki)
    driver.delete('new')
    return data


def test_volume_clear_zero_really_zeroes(device_vg):
    conftest.require_tool('blkdiscard')
    # Without clearing, the old tenant's data shows through: the test can
    # tell the difference.
    assert set(_write_delete_recreate(device_vg, 'none')) == {0xEE}
    assert set(_write_delete_recreate(device_vg, 'zero')) == {0}


@pytest.mark.parametrize('volume_clear', ['none', 'zero'])
def test_delete_of_an_open_volume_is_busy(device_vg, volume_clear):
    driver = device_vg.driver('lvm', volume_clear=volume_clear)
    io = BlockIO(driver)
    driver.create('vol-1', 8 * MiB)
    io.write('vol-1', 0, pattern(0x5C))
    path = driver.attach('vol-1')['data']['device_path']
    with open(path, 'rb'):
        with pytest.raises(exception.VolumeBusy) as err:
            driver.delete('vol-1')
        assert 'vol-1' in str(err.value)
        with pytest.raises(exception.VolumeBusy):
            driver.detach('vol-1')
    assert io.read('vol-1', 0, MiB) == pattern(0x5C)  # not wiped


def test_thick_capacity_leaves_a_thin_pool_out(device_vg, thin_pool, thick):
    thick.create('vol-1', 8 * MiB)
    report = thick.capacity()
    group = lvm.LVM(device_vg.executor, config=device_vg.config,
                    devices=[device_vg.device]).vg(device_vg.name)
    assert report.free == group.free
    assert report.total == report.free + report.provisioned < group.size
    assert [v.name for v in thick.list()] == ['vol-1']


def test_thin_volumes_snapshots_and_revert(thin):
    io = BlockIO(thin)
    volume = thin.create('vol-1', 16 * MiB)
    assert volume.allocated == 0
    io.write('vol-1', 0, pattern(0x11))
    before = thin.capacity()
    assert before.free < before.total
    assert thin.get('vol-1').allocated is None  # inactive: LVM cannot tell
    thin.attach('vol-1')
    assert 0 < thin.get('vol-1').allocated < 16 * MiB
    thin.detach('vol-1')
    snap = thin.create_snapshot('vol-1', 'snap-1')
    assert (snap.name, snap.size) == ('snap-1', 16 * MiB)
    io.write('vol-1', 0, pattern(0x22))
    thin.create_snapshot('vol-1', 'snap-2')
    assert [s.name for s in thin.list_snapshots('vol-1')] == [
        'snap-1', 'snap-2']
    assert [v.name for v in thin.list()] == ['vol-1']
    thin.revert_snapshot('vol-1', 'snap-1')
    assert io.read('vol-1', 0, MiB) == pattern(0x11)
    # The snapshot outlives the revert and keeps its place in the order.
    assert [s.name for s in thin.list_snapshots('vol-1')] == [
        'snap-1', 'snap-2']
    thin.revert_snapshot('vol-1', 'snap-2')
    assert io.read('vol-1', 0, MiB) == pattern(0x22)
    thin.delete_snapshot('vol-1', 'snap-1')
    assert [s.name for s in thin.list_snapshots('vol-1')] == ['snap-2']


def test_thin_revert_keeps_an_attached_volume_attached(thin):
    io = BlockIO(thin)
    thin.create('vol-1', 8 * MiB)
    io.write('vol-1', 0, pattern(0x31))
    thin.create_snapshot('vol-1', 'snap-1')
    io.write('vol-1', 0, pattern(0x32))
    path = thin.attach('vol-1')['data']['device_path']
    with open(path, 'rb'):
        with pytest.raises(exception.VolumeBusy):
            thin.revert_snapshot('vol-1', 'snap-1')
    thin.revert_snapshot('vol-1', 'snap-1')  # attached, not open
    assert stat.S_ISBLK(os.stat(path).st_mode)
    with open(path, 'rb') as device:
        assert device.read(MiB) == pattern(0x31)
    thin.detach('vol-1')


def test_thin_clone_is_independent(thin):
    io = BlockIO(thin)
    thin.create('src', 8 * MiB)
    io.write('src', 0, pattern(0x41))
    clone = thin.clone('src', 'copy')
    assert (clone.size, clone.managed, clone.backing) == (8 * MiB, True,
                                                         'src')
    assert io.read('copy', 0, MiB) == pattern(0x41)
    io.write('copy', 0, pattern(0x42))
    assert io.read('src', 0, MiB) == pattern(0x41)
    thin.delete('src')
    assert io.read('copy', 0, MiB) == pattern(0x42)
    assert [v.name for v in thin.list()] == ['copy']


def test_thin_delete_takes_its_snapshots_but_not_when_busy(device_vg, thin):
    thin.create('vol-1', 8 * MiB)
    thin.create('vol-10', 8 * MiB)
    thin.create_snapshot('vol-1', 'snap-1')
    thin.create_snapshot('vol-10', 'snap-1')
    path = thin.attach('vol-1')['data']['device_path']
    with open(path, 'rb'):
        with pytest.raises(exception.VolumeBusy):
            thin.delete('vol-1')
    assert [s.name for s in thin.list_snapshots('vol-1')] == ['snap-1']
    thin.delete('vol-1')
    names = [row.name for row in lvm.LVM(
        device_vg.executor, config=device_vg.config,
        devices=[device_vg.device]).lvs(device_vg.name)]
    assert sorted(names) == ['pool0', 'vol-10', 'vol-10..snap-1']


def test_thin_over_commit_follows_allocation_ratio(device_vg, thin_pool):
    strict = device_vg.driver('lvm-thin', thin_pool=thin_pool)
    with pytest.raises(exception.InsufficientCapacity):
        strict.create('big', 256 * MiB)
    loose = device_vg.driver('lvm-thin', thin_pool=thin_pool,
                             allocation_ratio=4.0)
    assert loose.create('big', 256 * MiB).size == 256 * MiB
    report = loose.capacity()
    assert report.max_volume == 4 * 128 * MiB - 256 * MiB
    with pytest.raises(exception.InsufficientCapacity):
        loose.extend('big', 600 * MiB)


def test_unmanaged_thin_snapshot_attaches(device_vg, thin):
    thin.create('vol-1', 8 * MiB)
    device_vg.lvm('lvcreate', '--yes', '--snapshot', '--name', 'admin-snap',
                  '%s/vol-1' % device_vg.name)
    volumes = {v.name: v for v in thin.list()}
    assert volumes['admin-snap'].managed is False
    assert volumes['admin-snap'].backing == 'vol-1'
    path = thin.attach('admin-snap')['data']['device_path']
    assert stat.S_ISBLK(os.stat(path).st_mode)
    thin.detach('admin-snap')


@pytest.mark.parametrize('name', ['lvm', 'lvm-thin'])
def test_image_import_and_export(device_vg, thin_pool, tmp_path, name):
    conftest.require_tool('qemu-img')
    options = {'thin_pool': thin_pool} if name == 'lvm-thin' else {
        'volume_clear': 'none'}
    driver = device_vg.driver(name, **options)
    raw = tmp_path / 'in.raw'
    raw.write_bytes(pattern(0x61, 3 * MiB))  # not a multiple of 4 MiB
    qcow2 = tmp_path / 'in.qcow2'
    device_vg.executor('qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2',
                       str(raw), str(qcow2))
    seen = []
    volume = driver.import_image('vol-1', str(qcow2), 'qcow2',
                                 progress=seen.append)
    assert volume.size == 4 * MiB and seen and seen[-1] == 100.0
    io = BlockIO(driver)
    assert io.read('vol-1', 0, 3 * MiB) == pattern(0x61, 3 * MiB)
    assert io.read('vol-1', 3 * MiB, MiB) == bytes(MiB)
    out = tmp_path / 'out.qcow2'
    driver.export_image('vol-1', str(out), 'qcow2')
    back = tmp_path / 'back.raw'
    device_vg.executor('qemu-img', 'convert', '-f', 'qcow2', '-O', 'raw',
                       str(out), str(back))
    assert back.read_bytes()[:3 * MiB] == pattern(0x61, 3 * MiB)
    with pytest.raises(exception.InvalidValue):
        driver.export_image('vol-1', str(out), 'qcow2')
    with pytest.raises(exception.VolumeExists):
        driver.import_image('vol-1', str(qcow2), 'qcow2')


def test_snapshot_lv_names_are_checked_before_running(thin):
    thin.create('v' * 63, 8 * MiB)
    before = thin.executor.count
    with pytest.raises(exception.InvalidName):
        thin.create_snapshot('v' * 63, 's' * 63)
    assert thin.executor.count == before
    assert lvm_thin.snapshot_lv('a', 'b') == 'a..b'
