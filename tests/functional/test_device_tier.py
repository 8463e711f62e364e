# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The LVM device tier works: activated LVs, data on them, thin snapshots.

These run where the kernel has device-mapper; on a host without it
tests/functional/guest.py runs them in the QEMU guest.
"""

import json
import os
import uuid

import pytest

from brick.local import executor
from tests import conftest
from tests.functional import guest

pytestmark = pytest.mark.device

MiB = 1024 * 1024


@pytest.fixture
def vg(tmp_path):
    """A fresh VG on a loop device over a sparse file; removed afterwards.

    :returns: (run, name) where ``run(*argv)`` runs an lvm2 command limited
        to this VG's loop device.
    """
    conftest.require_root('loop devices and device-mapper')
    conftest.require_tool('lvm', 'losetup')
    execute = executor.Executor(timeout=120)
    backing = tmp_path / 'pv.img'
    with open(backing, 'wb') as f:
        f.truncate(256 * MiB)
    dev = execute('losetup', '--find', '--show', str(backing)).stdout.strip()
    name = 'brick-smoke-%s' % uuid.uuid4().hex[:8]

    def run(*argv):
        # --devices keeps every command away from PVs this test did not make.
        return execute('lvm', *argv, '--devices', dev).stdout

    try:
        run('pvcreate', '-q', dev)
        run('vgcreate', '-q', name, dev)
        yield run, name
    finally:
        execute('lvm', 'vgremove', '-q', '-y', '-ff', name, '--devices', dev,
                check_exit_code=(0, 5))
        execute('losetup', '--detach', dev)


def _write(path, data):
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _read(path, size):
    with open(path, 'rb') as f:
        return f.read(size)


def _pattern(seed):
    return bytes((i * 7 + seed) % 251 for i in range(MiB))


def test_device_mapper_is_there():
    assert guest.DEVICE_TIER
    assert os.path.exists('/dev/mapper/control')


def test_linear_lv_keeps_data_across_deactivation(vg):
    run, name = vg
    run('lvcreate', '-q', '-y', '-n', 'lin', '-L', '8m', name)
    path = '/dev/%s/lin' % name
    assert os.path.exists(path)
    assert os.stat(path).st_mode & 0o170000 == 0o060000  # a block device
    data = _pattern(1)
    _write(path, data)
    # Deactivate and reactivate so the read-back comes through a new dm
    # table from the loop device, not from the page cache.
    run('lvchange', '-an', '%s/lin' % name)
    assert not os.path.exists(path)
    run('lvchange', '-ay', '%s/lin' % name)
    assert _read(path, MiB) == data


def test_thin_snapshot_keeps_the_origin_data(vg):
    run, name = vg
    run('lvcreate', '-q', '-y', '--type', 'thin-pool', '-n', 'pool',
        '-L', '32m', name)
    run('lvcreate', '-q', '-y', '-n', 'thin', '-V', '64m',
        '--thinpool', 'pool', name)
    thin = '/dev/%s/thin' % name
    before, after = _pattern(2), _pattern(3)
    _write(thin, before)
    run('lvcreate', '-q', '-y', '-s', '-n', 'snap', '%s/thin' % name)
    # Thin snapshots are created with "skip activation"; -K overrides it.
    run('lvchange', '-ay', '-K', '%s/snap' % name)
    _write(thin, after)
    assert _read('/dev/%s/snap' % name, MiB) == before
    assert _read(thin, MiB) == after
    report = json.loads(run('lvs', '--reportformat', 'json', '-o',
                            'lv_name,pool_lv,origin', name))
    lvs = {lv['lv_name']: lv for lv in report['report'][0]['lv']}
    assert lvs['snap']['origin'] == 'thin'
    assert lvs['snap']['pool_lv'] == lvs['thin']['pool_lv'] == 'pool'
