# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The installed ``brick`` console script, run as a subprocess on the
default file pools with the real qemu-img.

Everything lives in the test's temporary directory, which pytest removes;
HOME points there too, so no user configuration is read.
"""

import dataclasses
import json
import os
import pathlib
import shlex
import subprocess

import pytest

from tests.conftest import brick_command
from tests.conftest import require_tool

ROOT = pathlib.Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / 'tools' / 'quickstart'
GiB = 1 << 30
MiB = 1 << 20


@dataclasses.dataclass
class Done:
    argv: list
    code: int
    stdout: str
    stderr: str

    def json(self):
        assert self.code == 0, (self.argv, self.stderr)
        assert self.stderr == '', self.stderr
        return json.loads(self.stdout)


@pytest.fixture
def brick(tmp_path):
    require_tool('qemu-img')
    data = tmp_path / 'data'
    env = dict(os.environ, HOME=str(tmp_path), BRICK_DATA_DIR=str(data))

    def brick(*argv):
        argv = [*brick_command(), *argv]
        done = subprocess.run(argv, env=env, capture_output=True, text=True,
                              timeout=120, check=False)
        return Done(argv, done.returncode, done.stdout, done.stderr)

    brick.data = data
    return brick


def qemu_img_info(path):
    out = subprocess.run(['qemu-img', 'info', '--output=json', '-U',
                          str(path)], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out)


def volume_files(data):
    pools = data / 'pools'
    return sorted(str(path.relative_to(pools)) for path in pools.glob('*/*')
                  if not path.name.startswith('.'))


@pytest.mark.slow
def test_full_cycle(brick):
    raw = brick('volume', 'create', '--size', '64M', 'disk0', '-f',
                'json').json()
    qcow2 = brick('volume', 'create', '--pool', 'qcow2', '--size', '64M',
                  'disk1', '-f', 'json').json()
    vdi = brick('volume', 'create', '--pool', 'vdi', '--size', '32M',
                'disk2', '-f', 'json').json()
    assert (raw['format'], qcow2['format'], vdi['format']) == (
        'raw', 'qcow2', 'vdi')
    assert qemu_img_info(qcow2['path'])['virtual-size'] == 64 * MiB
    assert qemu_img_info(vdi['path'])['format'] == 'vdi'
    assert os.path.getsize(raw['path']) == 64 * MiB

    # idempotent create, then extend each
    assert brick('volume', 'create', '--size', '64M', 'disk0', '-f',
                 'json').json() == raw
    for pool, name, size in (('raw', 'disk0', 128), ('qcow2', 'disk1', 256),
                             ('vdi', 'disk2', 64)):
        grown = brick('volume', 'extend', '--pool', pool, name, '--size',
                      '%dM' % size, '-f', 'json').json()
        assert grown['size'] == size * MiB
    assert qemu_img_info(qcow2['path'])['virtual-size'] == 256 * MiB
    assert qemu_img_info(vdi['path'])['virtual-size'] == 64 * MiB

    # snapshots of the qcow2 volume
    snap = brick('volume', 'snapshot', 'create', '--pool', 'qcow2', 'disk1',
                 'snap1', '-f', 'json').json()
    assert (snap['name'], snap['volume'], snap['size']) == (
        'snap1', 'disk1', 256 * MiB)
    assert [s['name'] for s in qemu_img_info(qcow2['path'])['snapshots']] \
        == ['snap1']
    listed = brick('volume', 'snapshot', 'list', '--pool', 'qcow2', 'disk1',
                   '-f', 'json').json()
    assert [s['name'] for s in listed] == ['snap1']
    assert brick('volume', 'snapshot', 'revert', '--pool', 'qcow2', 'disk1',
                 'snap1').code == 0

    # clones: a full raw copy and a qcow2 overlay
    copy = brick('volume', 'clone', 'disk0', 'disk0-copy', '-f',
                 'json').json()
    assert (copy['size'], copy['backing']) == (128 * MiB, None)
    child = brick('volume', 'clone', '--pool', 'qcow2', '--overlay', 'disk1',
                  'disk1-child', '-f', 'json').json()
    assert child['backing'] == 'disk1'
    assert qemu_img_info(child['path'])['backing-filename'].endswith(
        'disk1')

    # the backing file of an overlay is busy
    busy = brick('volume', 'delete', '--pool', 'qcow2', 'disk1')
    assert busy.code == 4
    assert 'busy' in busy.stderr

    # list and capacity
    listed = brick('volume', 'list', '--long', '-f', 'json').json()
    assert [(v['pool'], v['name'], v['size']) for v in listed] == [
        ('raw', 'disk0', 128 * MiB), ('raw', 'disk0-copy', 128 * MiB),
        ('qcow2', 'disk1', 256 * MiB), ('qcow2', 'disk1-child', 256 * MiB),
        ('vdi', 'disk2', 64 * MiB)]
    pools = {p['name']: p for p in brick('node', 'pool', 'list', '-f',
                                         'json').json()}
    assert list(pools) == ['raw', 'qcow2', 'vdi']
    assert (pools['raw']['provisioned'], pools['raw']['volumes']) == (
        256 * MiB, 2)
    assert pools['qcow2']['provisioned'] == 512 * MiB
    assert all(p['status'] == 'ok' for p in pools.values())
    assert pools['vdi']['location'] == str(brick.data / 'pools' / 'vdi')

    # attach gives os-brick's connection info
    info = brick('volume', 'attach', '--pool', 'qcow2', 'disk1-child', '-f',
                 'json').json()
    assert info == {'driver_volume_type': 'local',
                    'data': {'device_path': child['path'],
                             'format': 'qcow2', 'name': 'disk1-child'}}
    assert brick('volume', 'detach', '--pool', 'qcow2',
                 'disk1-child').code == 0

    # delete everything; deleting again succeeds
    for pool, names in (('qcow2', ['disk1-child']),
                        ('qcow2', ['disk1']), ('raw', ['disk0', 'disk0-copy']),
                        ('vdi', ['disk2']), ('vdi', ['disk2'])):
        done = brick('volume', 'delete', '--pool', pool, *names)
        assert (done.code, done.stderr) == (0, '')
    assert brick('volume', 'list', '-f', 'json').json() == []
    assert volume_files(brick.data) == []


def test_errors_from_the_real_process(brick):
    missing = brick('volume', 'show', 'nosuch', '--pool', 'qcow2')
    assert (missing.code, missing.stdout) == (3, '')
    assert missing.stderr == \
        "brick: Volume 'nosuch' not found in pool qcow2.\n"
    bad = brick('volume', 'create', '--pool', 'vdi', '--size', '10X', 'v')
    assert bad.code == 2
    assert bad.stderr.startswith("brick: Invalid volume size '10X'")
    unsupported = brick('volume', 'snapshot', 'create', '--pool', 'vdi', 'v',
                        's')
    assert unsupported.code == 5
    usage = brick('volume', 'create')
    assert usage.code == 2
    assert 'usage: brick volume create' in usage.stderr
    assert 'Traceback' not in missing.stderr + bad.stderr + usage.stderr
    assert volume_files(brick.data) == []


def test_help_and_version(brick):
    done = brick('--help')
    assert done.code == 0
    assert 'exit codes:' in done.stdout
    assert brick('--version').stdout.startswith('brick ')


def _tour():
    """The ``brick`` lines of tools/quickstart's tour, as argv lists."""
    lines = QUICKSTART.read_text().splitlines()
    start, end = lines.index('# tour begins'), lines.index('# tour ends')
    tour = [shlex.split(line) for line in lines[start + 1:end]
            if line.strip()]
    assert tour and all(argv[0] == 'brick' for argv in tour)
    return [argv[1:] for argv in tour]


@pytest.mark.slow
def test_quickstart_tour(brick):
    # tools/quickstart itself needs pip; its brick commands are run here.
    for argv in _tour():
        done = brick(*argv)
        assert done.code == 0, (argv, done.stderr)
        assert done.stderr == '', (argv, done.stderr)
    assert volume_files(brick.data) == []
    assert os.access(QUICKSTART, os.X_OK)


def test_volume_import_and_export_with_progress(brick, tmp_path):
    image = tmp_path / 'image.qcow2'
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', str(image),
                    '48M'], check=True)
    subprocess.run(['qemu-io', '-c', 'write -P 0x5a 1M 1M', str(image)],
                   check=True, capture_output=True)
    done = brick('volume', 'import', 'disk0', str(image), '--progress',
                 '-f', 'json')
    assert done.code == 0, done.stderr
    volume = json.loads(done.stdout)
    assert (volume['size'], volume['format'], volume['pool']) == (
        48 * MiB, 'raw', 'raw')
    # The bar (redrawn after \r, which text mode reads as a newline)
    # ends at 100%.
    assert done.stderr.startswith('\nimporting disk0 [')
    assert done.stderr.endswith('[%s] 100.0%%\n' % ('#' * 30))
    with open(volume['path'], 'rb') as data:
        data.seek(MiB)
        assert data.read(MiB) == b'\x5a' * MiB

    target = tmp_path / 'out.vdi'
    out = brick('volume', 'export', 'disk0', str(target), '--image-format',
                'vdi', '-f', 'json')
    assert out.json() == {'name': 'disk0', 'pool': 'raw',
                          'target': str(target), 'format': 'vdi',
                          'size': 48 * MiB}
    assert qemu_img_info(target)['format'] == 'vdi'
    compare = subprocess.run(['qemu-img', 'compare', '-f', 'raw', '-F',
                              'vdi', volume['path'], str(target)],
                             capture_output=True, text=True, check=False)
    assert compare.returncode == 0, compare.stdout
    again = brick('volume', 'export', 'disk0', str(target))
    assert again.code == 2 and 'export target' in again.stderr

    # Into another pool, probed format, no bar when not asked.
    vdi = brick('volume', 'import', '--pool', 'vdi', 'disk1', str(target),
                '-f', 'json')
    assert vdi.json()['format'] == 'vdi'
    missing = brick('volume', 'import', 'disk2', str(tmp_path / 'nope'))
    assert missing.code != 0 and missing.stdout == ''
    assert brick('volume', 'delete', 'disk0').code == 0
    assert brick('volume', 'delete', '--pool', 'vdi', 'disk1').code == 0
    assert volume_files(brick.data) == []


@pytest.mark.slow
def test_inventory_verbs_from_the_real_process(brick):
    example = ROOT / 'etc' / 'brick' / 'inventory.yaml.example'
    assert brick('inventory', 'apply', '-f', str(example)).code == 0
    pool = brick('pool', 'create', 'local', '--host', 'compute-1',
                 '--driver', 'raw', '--total', '100G', '-f', 'json').json()
    assert (pool['pool'], pool['free']) == ('host:compute-1/local',
                                            100 * GiB)
    found = brick('place', '--size', '10G', '--on-host', 'compute-1', '-f',
                  'json').json()
    assert [(c['host'], c['pools']) for c in found] == [
        ('compute-1', ['host:compute-1/local'])]
    # Naming no host: every pool, the rack's shared one too.
    anywhere = brick('place', '--size', '10G', '-f', 'json').json()
    assert [c['pools'][0] for c in anywhere] == [
        'host:compute-1/local', 'rack:rack-a1/nfs-images']
    full = brick('place', '--size', '50T', '--explain')
    assert (full.code, full.stdout) == (4, '')
    assert 'filter capacity: ' in full.stderr
    assert full.stderr.splitlines()[-1].startswith('brick: No valid host')
    top = brick('pool', 'top', '--iterations', '2', '--interval', '0',
                '-f', 'value', '-c', 'pool')
    assert top.stdout.splitlines().count('host:compute-1/local') == 2
    assert brick('host', 'disable', 'compute-1').code == 0
    assert brick('place', '--size', '10G', '--on-host', 'compute-1').code \
        == 4
    assert brick('flavor', 'validate', 'brick:local_gb=x').code == 2
    assert brick('reservation', 'reap', '-f', 'json').json() == {
        'expired': 0, 'purged': 0}
    assert brick('pool', 'delete', 'host:compute-1/local').code == 0
    assert brick('host', 'show', 'nosuch').code == 3
