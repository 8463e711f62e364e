# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""examples/qemu_instances.py, the compute-side client an integrator
copies: a real QEMU guest (TCG, tools/guest) boots with the raw and qcow2
volumes brick placed, attached through os-brick's LOCAL connector, and
sees each disk at its size; deleting the instance stops the guest and
deletes the volumes.  One boot for all disks (~15 s)."""

import os
import subprocess
import sys

import pytest

from brick import exception
from brick.inventory import allocations
from brick.inventory import pools
from tests.conftest import require_tool
from tests.functional import guest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..',
                                'examples'))

import cluster  # noqa: E402
import qemu_instances  # noqa: E402

MiB = 1 << 20


@pytest.fixture(scope='module')
def vm_image():
    """The test VM, built if needed (tools/guest/build)."""
    require_tool('qemu-system-x86_64')
    done = subprocess.run([str(guest.TOOLS / 'build')], capture_output=True,
                          text=True, check=False)
    if done.returncode == guest.UNAVAILABLE:
        pytest.skip('the test VM cannot be built here: %s' % done.stdout)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_a_real_guest_boots_with_the_placed_volumes(vm_image, tmp_path):
    service = cluster.start(str(tmp_path / 'site'))
    out = str(tmp_path / 'vms')
    instances = qemu_instances.QemuInstances(
        service, qemu_instances.test_vm(out, timeout=300))
    service.handlers.register('qemu', instances)
    try:
        placed = service.boot_instance('vm1', 'qemu', volumes=[
            {'size': 48 * MiB, 'format': 'raw'},
            {'size': 80 * MiB, 'format': 'qcow2'}])
        raw, qcow2 = placed.volumes
        assert (raw.format, qcow2.format) == ('raw', 'qcow2')
        process = instances.running['vm1'][0]
        assert placed.boot == {'pid': process.pid}

        # Inside the guest: one disk per volume, by serial, at the size
        # brick placed.  The qcow2 file is far smaller than its virtual
        # size: had QEMU opened it as raw, the guest would see the file.
        seen = qemu_instances.disks_seen(out, 'vm1')
        assert seen == {raw.name: 48 * MiB, qcow2.name: 80 * MiB}
        qcow2_path = qcow2.connection_info['data']['device_path']
        assert os.path.getsize(qcow2_path) < MiB
        assert process.poll() is None           # the instance runs

        instances.delete('vm1', [raw.name, qcow2.name])
        assert process.poll() is not None       # stopped
        assert 'vm1' not in instances.running
        for volume in placed.volumes:
            path = volume.connection_info['data']['device_path']
            assert not os.path.exists(path)
            with pytest.raises(exception.VolumeNotFound):
                service.delete_volume(volume.name)
        assert allocations.list_allocations(service.db) == []
        assert sum(pool.used for pool in pools.list_pools(service.db)) == 0
        instances.delete('vm1', [raw.name, qcow2.name])   # repeatable
    finally:
        for instance in list(instances.running):
            instances.revert(instance, None, [])
        service.close()


def test_a_volume_qemu_is_not_told_to_open_is_refused():
    volume = {'name': 'vm1-disk0', 'connection_info': {
        'driver_volume_type': 'local', 'data': {'format': 'vdi'}}}
    with pytest.raises(exception.InvalidValue, match="format of volume "
                       "vm1-disk0 'vdi'; allowed: raw, qcow2"):
        qemu_instances.disk_arguments(0, volume, '/p/vm1-disk0')
    volume['connection_info']['data']['format'] = 'qcow2'
    assert qemu_instances.disk_arguments(0, volume, '/p,q/vm1-disk0') == [
        '-drive', 'file=/p,,q/vm1-disk0,format=qcow2,if=none,id=disk0,'
        'cache=writeback',
        '-device', 'virtio-blk-pci,drive=disk0,serial=vm1-disk0']
