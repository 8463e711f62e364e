# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The Ganeti ExtStorage provider, run as Ganeti runs it: the scripts
that ``brick ganeti install`` wrote, with no arguments, a minimal
environment, umask 077 and the provider directory as working directory,
on real raw files and real loop devices.

LVM-backed volumes are covered by tests/unit/ganeti (this host has no
device-mapper, so no LV can be activated here).
"""

import dataclasses
import json
import os
import stat
import subprocess

import pytest

from brick.ganeti import environment
from tests.conftest import brick_command
from tests.conftest import require_root
from tests.conftest import require_tool

MiB = 1 << 20
VOL = '3f1e9a52-7a8e-4a4f-9b39-1c9f1c0f7a10.ext.disk0'


@dataclasses.dataclass
class Done:
    code: int
    stdout: str
    stderr: str


def _loops_under(path):
    """Loop devices whose file is *path* or under the directory *path*.
    """
    out = subprocess.run(['losetup', '--list', '--json', '--output',
                          'NAME,BACK-FILE'], capture_output=True, text=True,
                         check=True).stdout
    if not out.strip():
        return []
    return [row['name'] for row in json.loads(out)['loopdevices']
            if (row.get('back-file') or '') == str(path)
            or (row.get('back-file') or '').startswith('%s/' % path)]


class Ganeti:
    """Runs the provider's scripts the way Ganeti's backend does."""

    def __init__(self, provider_dir, data):
        self.dir = provider_dir
        self.data = data

    def __call__(self, action, name=VOL, **variables):
        env = {'PATH': '/usr/bin:/bin', 'LC_ALL': 'C', 'VOL_NAME': name,
               'EXTP_PROVIDER': 'brick', 'EXTP_ACCESS': 'kernelspace'}
        env.update({key: str(value) for key, value in variables.items()})
        done = subprocess.run([str(self.dir / action)], env=env,
                              cwd=self.dir, capture_output=True, text=True,
                              timeout=120, check=False,
                              preexec_fn=lambda: os.umask(0o077))
        return Done(done.returncode, done.stdout, done.stderr)

    def volumes(self):
        """The files of the raw pool, without brick's hidden state."""
        return sorted(name for name in os.listdir(self.data / 'pools' /
                                                  'raw')
                      if not name.startswith('.'))

    def file(self, name=VOL):
        return self.data / 'pools' / 'raw' / name


@pytest.fixture
def ganeti(tmp_path):
    require_root('loop devices need root')
    require_tool('losetup', 'blockdev', 'qemu-img')
    data = tmp_path / 'data'
    provider_dir = tmp_path / 'extstorage' / 'brick'
    done = subprocess.run([*brick_command(), '--data-dir', str(data), 'ganeti',
                           'install', '--dir', str(provider_dir), '-f',
                           'value'], capture_output=True, text=True,
                          check=False, env=dict(os.environ,
                                                HOME=str(tmp_path)))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(provider_dir / name) for name in (
        *environment.ACTIONS, 'parameters.list')]
    yield Ganeti(provider_dir, data)
    for device in _loops_under(tmp_path):
        subprocess.run(['losetup', '--detach', device], check=False)


def size_of(device):
    return int(subprocess.run(['blockdev', '--getsize64', device],
                              capture_output=True, text=True,
                              check=True).stdout)


@pytest.mark.slow
def test_disk_life_cycle(ganeti):
    # What "gnt-instance add" runs: create, attach, open, setinfo.
    assert ganeti('create', VOL_SIZE=16).code == 0
    attached = ganeti('attach')
    assert (attached.code, attached.stderr) == (0, '')
    device = attached.stdout.splitlines()[0]
    assert attached.stdout == device + '\n'
    assert stat.S_ISBLK(os.stat(device).st_mode)
    assert size_of(device) == 16 * MiB
    assert ganeti('open', VOL_OPEN_EXCLUSIVE='True').code == 0
    assert ganeti('setinfo', VOL_METADATA='originstname+inst1').code == 0
    metadata = ganeti.data / 'ganeti' / 'metadata' / VOL
    assert metadata.read_text() == 'originstname+inst1'

    # attach is idempotent: the same loop device every time.
    assert [ganeti('attach').stdout for _ in range(3)] == [device + '\n'] * 3

    # What is written to the device is in the volume's file.
    fd = os.open(device, os.O_WRONLY)
    try:
        os.pwrite(fd, b'ganeti!' * 512, MiB)
        os.fsync(fd)
    finally:
        os.close(fd)
    with open(ganeti.file(), 'rb') as volume:
        volume.seek(MiB)
        assert volume.read(7) == b'ganeti!'

    # grow: Ganeti checks blockdev --getsize64 afterwards.
    grown = ganeti('grow', VOL_SIZE=16, VOL_NEW_SIZE=48)
    assert grown.code == 0, grown.stderr
    assert size_of(device) == 48 * MiB
    assert os.path.getsize(ganeti.file()) == 48 * MiB

    # snapshot: a new volume <vol>.snap, then attached like any other.
    snap = VOL + '.snap'
    done = ganeti('snapshot', VOL_SNAPSHOT_NAME=snap, VOL_SNAPSHOT_SIZE=48)
    assert done.code == 0, done.stderr
    snap_device = ganeti('attach', name=snap).stdout.strip()
    assert snap_device != device
    assert size_of(snap_device) == 48 * MiB
    with open(snap_device, 'rb') as copy:
        copy.seek(MiB)
        assert copy.read(7) == b'ganeti!'

    assert ganeti('close').code == 0
    assert ganeti('verify').code == 0

    # detach and remove, each twice (both must be repeatable).
    for _ in range(2):
        assert ganeti('detach').code == 0
    assert _loops_under(ganeti.file()) == []
    assert _loops_under(ganeti.file(snap)) == [snap_device]
    for name in (VOL, snap):
        for _ in range(2):
            done = ganeti('remove', name=name)
            assert (done.code, done.stderr) == (0, '')
    assert _loops_under(ganeti.data) == []
    assert ganeti.volumes() == []
    assert not metadata.exists()


def test_userspace_access_serves_the_raw_file_to_kvm(ganeti):
    # Ganeti's hv_kvm opens the kvm: URI as -drive file=URI,format=raw;
    # qemu-io opens it the same way here, and what it writes is on the
    # block device Ganeti itself uses.
    require_tool('qemu-io')
    user = {'EXTP_ACCESS': 'userspace'}
    assert ganeti('create', VOL_SIZE=8, **user).code == 0
    attached = ganeti('attach', **user)
    assert (attached.code, attached.stderr) == (0, '')
    device, uri = attached.stdout.splitlines()
    assert stat.S_ISBLK(os.stat(device).st_mode)
    assert uri == 'kvm:%s' % ganeti.file()
    done = subprocess.run(
        ['qemu-io', '--image-opts', '-c', 'write -P 0x5a 4096 4096',
         'driver=raw,file.driver=file,file.filename=%s' % uri[4:]],
        capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    with open(device, 'rb') as disk:
        disk.seek(4096)
        assert disk.read(4096) == b'\x5a' * 4096
    # kernelspace (what Ganeti passes by default): the device alone.
    assert ganeti('attach').stdout == device + '\n'
    assert ganeti('remove', **user).code == 0
    assert ganeti.volumes() == []
    bad = ganeti('create', VOL_SIZE=8, EXTP_ACCESS='shared')
    assert (bad.code, bad.stdout) == (2, '')
    assert 'allowed: kernelspace, userspace' in bad.stderr
    assert ganeti.volumes() == []


def test_refusals_and_errors(ganeti):
    qcow2 = ganeti('create', VOL_SIZE=8, EXTP_POOL='qcow2')
    assert (qcow2.code, qcow2.stdout) == (2, '')
    assert 'Ganeti' in qcow2.stderr and 'raw, lvm and lvm-thin' in \
        qcow2.stderr
    missing = ganeti('attach', name='nosuch')
    assert (missing.code, missing.stdout) == (3, '')
    assert missing.stderr == ("brick attach nosuch: Volume 'nosuch' not "
                              "found in pool raw.\n")
    unknown = ganeti('create', VOL_SIZE=8, EXTP_SPEED='fast')
    assert unknown.code == 2 and "'speed'" in unknown.stderr
    no_size = ganeti('create')
    assert no_size.code == 2 and 'VOL_SIZE' in no_size.stderr
    assert ganeti('detach', name='nosuch').code == 0
    assert ganeti('remove', name='nosuch').code == 0
    assert ganeti.volumes() == []
