# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""brick.local.qemu_img against the real qemu-img, and the qemu-img facts
the drivers are built on (so an upgrade that changes one shows here)."""

import json
import os
import subprocess

import pytest

from brick import exception
from brick.local import executor
from brick.local import qemu_img
from tests.conftest import require_tool

MiB = 1 << 20


@pytest.fixture
def img():
    require_tool('qemu-img', 'qemu-io')
    return qemu_img.QemuImg(executor.Executor())


def qemu_io(fmt, path, command):
    return subprocess.run(['qemu-io', '-f', fmt, '-c', command, path],
                          check=True, capture_output=True, text=True).stdout


def test_version(img):
    major = int(img.version().split('.')[0])
    assert major >= 5


@pytest.mark.parametrize('fmt, size, virtual', [
    ('raw', 4 * MiB, 4 * MiB), ('qcow2', 4 * MiB, 4 * MiB),
    ('vdi', 4 * MiB, 4 * MiB), ('vdi', 1000000, 1000448),
    ('qcow2', 1000, 1024),
])
def test_create_and_info(img, tmp_path, fmt, size, virtual):
    path = str(tmp_path / 'image')
    img.create(path, fmt, size)
    info = img.info(path, fmt)
    assert (info.format, info.virtual_size) == (fmt, virtual)
    assert info.backing_file is None


def test_create_overwrites_which_is_why_drivers_claim_first(img, tmp_path):
    path = tmp_path / 'image'
    path.write_bytes(b'precious data')
    img.create(str(path), 'qcow2', MiB)
    assert not path.read_bytes().startswith(b'precious')


def test_named_format_defeats_a_forged_header(img, tmp_path):
    # A "raw" disk whose guest wrote a qcow2 header naming a host file.
    forged = str(tmp_path / 'guest-disk')
    img.create(forged, 'qcow2', MiB, backing='/etc/hostname',
               backing_format='raw')
    raw = img.info(forged, 'raw')
    assert (raw.format, raw.backing_file) == ('raw', None)
    # What probing would have said (brick never lets qemu-img probe).
    probed = json.loads(subprocess.run(
        ['qemu-img', 'info', '--output=json', '-U', forged],
        check=True, capture_output=True, text=True).stdout)
    assert (probed['format'], probed['backing-filename']) == (
        'qcow2', '/etc/hostname')
    # As an upload it is refused whatever its owner declares: as Nova
    # does, the content must pass the safety checks and be the declared
    # format.
    for fmt in (None, 'qcow2', 'raw'):
        with pytest.raises(exception.InvalidValue, match='backing_file'):
            img.inspect_untrusted(forged, fmt)


def test_relative_backing_file(img, tmp_path):
    base = str(tmp_path / 'base')
    img.create(base, 'qcow2', 2 * MiB)
    qemu_io('qcow2', base, 'write -q -P 0x42 0 64k')
    child = str(tmp_path / 'child')
    img.create(child, 'qcow2', None, backing='base', backing_format='qcow2')
    info = img.info(child, 'qcow2')
    assert (info.backing_file, info.backing_format) == ('base', 'qcow2')
    assert info.virtual_size == 2 * MiB
    assert 'read 65536/65536' in qemu_io('qcow2', child,
                                         'read -P 0x42 0 64k')


def test_vdi_has_no_backing_file(img, tmp_path):
    img.create(str(tmp_path / 'base'), 'vdi', MiB)
    with pytest.raises(exception.CommandFailed) as err:
        img.create(str(tmp_path / 'child'), 'vdi', MiB, backing='base',
                   backing_format='raw')
    assert "Backing file not supported for file format 'vdi'" in str(
        err.value)


def test_resize_rules(img, tmp_path):
    path = str(tmp_path / 'image')
    img.create(path, 'qcow2', 4 * MiB)
    img.resize(path, 8 * MiB, 'qcow2')
    assert img.info(path, 'qcow2').virtual_size == 8 * MiB
    with pytest.raises(exception.CommandFailed) as err:
        img.resize(path, 2 * MiB, 'qcow2')
    assert 'Use the --shrink option' in str(err.value)
    img.resize(path, 2 * MiB, 'qcow2', shrink=True)
    assert img.info(path, 'qcow2').virtual_size == 2 * MiB
    with pytest.raises(exception.CommandFailed) as err:
        img.resize(path, MiB, 'qcow2', shrink=True, preallocation='falloc')
    assert 'Preallocation can only be used for growing images' in str(
        err.value)


def test_vdi_cannot_be_resized(img, tmp_path):
    path = str(tmp_path / 'image')
    img.create(path, 'vdi', 4 * MiB)
    with pytest.raises(exception.CommandFailed) as err:
        img.resize(path, 8 * MiB, 'vdi')
    assert 'Image format driver does not support resize' in str(err.value)


def test_convert_into_a_larger_existing_vdi(img, tmp_path):
    small, large = str(tmp_path / 'small'), str(tmp_path / 'large')
    img.create(small, 'vdi', 2 * MiB)
    qemu_io('vdi', small, 'write -q -P 0x17 1M 64k')
    img.create(large, 'vdi', 8 * MiB)
    img.convert(small, large, 'vdi', 'vdi', target_exists=True)
    assert img.info(large, 'vdi').virtual_size == 8 * MiB
    assert 'read 65536/65536' in qemu_io('vdi', large, 'read -P 0x17 1M 64k')


def test_convert_reports_progress(img, tmp_path):
    source = str(tmp_path / 'source')
    img.create(source, 'raw', 32 * MiB)
    qemu_io('raw', source, 'write -q -P 0x01 0 32M')
    seen = []
    img.convert(source, str(tmp_path / 'copy'), 'raw', 'qcow2',
                progress=seen.append, options={'cluster_size': 65536})
    assert seen and seen[-1] == 100.0 and seen == sorted(seen)


def test_internal_snapshots(img, tmp_path):
    path = str(tmp_path / 'odd,name:x')         # commas and colons too
    img.create(path, 'qcow2', 4 * MiB)
    qemu_io('qcow2', path, 'write -q -P 0x0a 0 64k')
    img.snapshot_create(path, 'one')
    qemu_io('qcow2', path, 'write -q -P 0x0b 0 64k')
    assert [s.name for s in img.snapshot_list(path, 'qcow2')] == ['one']
    img.snapshot_apply(path, 'one')
    assert 'read 65536/65536' in qemu_io('qcow2', path, 'read -P 0x0a 0 64k')
    # qemu-img happily takes a duplicate name: callers must check first.
    img.snapshot_create(path, 'one')
    assert [s.name for s in img.snapshot_list(path)] == ['one', 'one']
    img.snapshot_delete(path, 'one')
    img.snapshot_delete(path, 'one')
    assert img.snapshot_list(path) == []
    with pytest.raises(exception.CommandFailed) as err:
        img.snapshot_apply(path, 'one')
    assert "Could not apply snapshot 'one'" in str(err.value)


def test_snapshots_of_a_raw_file_are_refused_by_format(img, tmp_path):
    path = str(tmp_path / 'raw')
    img.create(path, 'raw', MiB)
    with pytest.raises(exception.CommandFailed):
        img.snapshot_create(path, 'one')
    assert os.path.getsize(path) == MiB


def test_vmdk_with_extent_files_is_refused(img, tmp_path):
    flat = str(tmp_path / 'flat.vmdk')
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'vmdk', '-o',
                    'subformat=monolithicFlat', flat, str(MiB)], check=True)
    with pytest.raises(exception.InvalidValue) as err:
        img.inspect_untrusted(flat)
    assert 'descriptor: Unsupported subformat' in str(err.value)
    sparse = str(tmp_path / 'sparse.vmdk')
    img_sparse = subprocess.run(['qemu-img', 'create', '-q', '-f', 'vmdk',
                                 sparse, str(MiB)], check=True)
    assert img_sparse.returncode == 0
    assert img.inspect_untrusted(sparse).format == 'vmdk'
