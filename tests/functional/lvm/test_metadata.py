# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The LVM metadata tier: real lvm2 on a loop device, activation off.

LV metadata really changes (lvcreate, lvextend, lvremove, lvs), but no
device appears, so nothing here reads or writes volume data.
"""

import glob
import json
import os

import pytest

from brick import exception
from brick import units
from brick.local import lvm
from tests import conftest
from tests.functional.lvm import loopvg

MiB = units.Mi


@pytest.fixture
def driver(metadata_vg):
    driver = metadata_vg.driver('lvm', volume_clear='none')
    driver.check()
    return driver


@pytest.fixture
def prims(metadata_vg):
    return lvm.LVM(metadata_vg.executor, config=metadata_vg.config,
                   devices=[metadata_vg.device])


def lv_names(vg):
    return sorted(row['lv_name'] for row in json.loads(
        vg.report()[1])['report'][0]['lv'])


def test_volume_group_is_read_in_bytes(metadata_vg, prims):
    group = prims.vg(metadata_vg.name)
    assert group.name == metadata_vg.name
    assert group.extent_size == 4 * MiB
    assert group.size == group.extent_count * group.extent_size
    assert group.free == group.size
    assert (group.lv_count, group.pv_count) == (0, 1)


def test_missing_vg_and_lv_are_translated(metadata_vg, prims):
    with pytest.raises(exception.PoolNotFound):
        prims.vg('no-such-vg')
    with pytest.raises(exception.PoolNotFound):
        prims.create_lv('no-such-vg', 'x', 4 * MiB)
    with pytest.raises(exception.VolumeNotFound):
        prims.lv(metadata_vg.name, 'nope')
    with pytest.raises(exception.VolumeNotFound):
        prims.remove_lv(metadata_vg.name, 'nope')
    with pytest.raises(exception.VolumeNotFound):
        prims.extend_lv(metadata_vg.name, 'nope', 8 * MiB)
    with pytest.raises(exception.VolumeNotFound):
        prims.rename_lv(metadata_vg.name, 'nope', 'other')


def test_primitives_round_trip(metadata_vg, prims):
    vg = metadata_vg.name
    prims.create_lv(vg, 'a', 8 * MiB, tags=('brick', 'x-y'))
    lv = prims.lv(vg, 'a')
    assert (lv.size, lv.segtype, lv.tags) == (8 * MiB, 'linear',
                                              ('brick', 'x-y'))
    assert lv.path == '/dev/%s/a' % vg
    assert lv.active is None  # activation is off: LVM cannot tell
    assert not (lv.is_thin or lv.is_thin_pool or lv.is_snapshot)
    assert prims.extend_lv(vg, 'a', 12 * MiB) is True
    assert prims.extend_lv(vg, 'a', 12 * MiB) is False
    with pytest.raises(exception.InvalidSize) as err:
        prims.extend_lv(vg, 'a', 4 * MiB)
    assert '12 MiB' in str(err.value)
    prims.rename_lv(vg, 'a', 'b')
    assert [v.name for v in prims.lvs(vg)] == ['b']
    with pytest.raises(exception.VolumeExists):
        prims.create_lv(vg, 'b', 4 * MiB)
    with pytest.raises(exception.InsufficientCapacity) as err:
        prims.create_lv(vg, 'huge', units.Gi)
    assert err.value.kwargs['available'] == prims.vg(vg).free
    prims.remove_lv(vg, 'b')
    assert prims.lvs(vg) == []


def test_create_extend_delete(metadata_vg, driver):
    volume = driver.create('vol-1', 8 * MiB)
    assert volume.path == '/dev/%s/vol-1' % metadata_vg.name
    assert lv_names(metadata_vg) == ['vol-1']
    assert driver.extend('vol-1', 16 * MiB).size == 16 * MiB
    assert driver.get('vol-1').size == 16 * MiB
    driver.delete('vol-1')
    assert lv_names(metadata_vg) == []


def test_common_path_costs_one_command(metadata_vg, driver):
    execute = metadata_vg.executor
    driver.step()  # cached by check()
    for call in (lambda: driver.create('vol-1', 8 * MiB),
                 lambda: driver.extend('vol-1', 12 * MiB),
                 lambda: driver.delete('vol-1')):
        before = execute.count
        call()
        assert execute.count - before == 1


def test_step_costs_one_vgs_once(metadata_vg):
    driver = metadata_vg.driver('lvm', volume_clear='none')
    before = metadata_vg.executor.count
    assert driver.step() == 4 * MiB
    assert driver.step() == 4 * MiB
    assert metadata_vg.executor.count - before == 1


def test_out_of_band_lv_is_discovered_and_counted(metadata_vg, driver):
    driver.create('mine', 8 * MiB)
    metadata_vg.lvm('lvcreate', '--yes', '-Zn', '--name', 'theirs',
                    '--size', '12m', metadata_vg.name)
    volumes = {v.name: v for v in driver.list()}
    assert volumes['mine'].managed and not volumes['theirs'].managed
    assert volumes['theirs'].size == 12 * MiB
    report = driver.capacity()
    group = lvm.LVM(metadata_vg.executor, config=metadata_vg.config,
                    devices=[metadata_vg.device]).vg(metadata_vg.name)
    assert report.total == group.size
    assert report.free == group.free == group.size - 20 * MiB
    assert (report.provisioned, report.unmanaged) == (20 * MiB, 12 * MiB)
    assert (report.volumes, report.unmanaged_volumes) == (2, 1)
    assert report.max_volume == report.free
    assert report.step == 4 * MiB


@pytest.mark.parametrize('call', [
    lambda d: d.create('bad/name', 8 * MiB),
    lambda d: d.create('ok', 8 * MiB + 512),
    lambda d: d.create('ok', 0),
    lambda d: d.extend('keep', 6 * MiB),
    lambda d: d.extend('keep', 4 * MiB),
    lambda d: d.create('keep', 16 * MiB),
    lambda d: d.create('huge', units.Gi),
    lambda d: d.extend('keep', units.Gi),
    lambda d: d.delete('..'),
], ids=['name', 'unaligned', 'zero', 'unaligned-extend', 'smaller',
        'exists', 'huge', 'huge-extend', 'dots'])
def test_bad_input_leaves_the_vg_unchanged(metadata_vg, driver, call):
    driver.create('keep', 8 * MiB)
    before = metadata_vg.report()
    with pytest.raises(exception.BrickException) as err:
        call(driver)
    assert isinstance(err.value, (exception.InvalidInput,
                                  exception.Conflict))
    assert metadata_vg.report() == before


def test_delete_leaves_non_volumes_alone(metadata_vg, driver):
    metadata_vg.lvm('lvcreate', '--yes', '-Zn', '--name', 'theirs',
                    '--size', '4m', metadata_vg.name)
    driver.delete('missing')
    driver.detach('missing')
    assert lv_names(metadata_vg) == ['theirs']


def test_check_names_the_missing_vg(metadata_vg):
    driver = metadata_vg.driver('lvm')
    driver.volume_group = 'no-such-vg'
    with pytest.raises(exception.PoolNotFound) as err:
        driver.check()
    assert 'no-such-vg' in str(err.value)


def test_thin_pool_cannot_exist_here(metadata_vg):
    driver = metadata_vg.driver('lvm-thin', thin_pool='pool0')
    with pytest.raises(exception.PoolNotFound) as err:
        driver.check()
    assert 'pool0' in str(err.value)


def test_loop_volume_group_cleans_up_after_a_failure():
    conftest.require_root('loop devices and lvm2 need root')
    conftest.require_tool('lvm', 'losetup')
    with pytest.raises(RuntimeError):
        with loopvg.loop_volume_group(activation=False) as vg:
            vg.lvm('lvcreate', '--yes', '-Zn', '--name', 'left', '--size',
                   '4m', vg.name)
            image = vg.image
            raise RuntimeError('the body failed')
    assert not os.path.exists(os.path.dirname(image))
    # No loop device is bound to the image any more (another test may
    # have reused the same loop device number meanwhile).
    for backing in glob.glob('/sys/block/loop*/loop/backing_file'):
        with open(backing) as f:
            assert not f.read().startswith(image)
