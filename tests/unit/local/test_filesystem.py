# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""brick.local.filesystem on real files in a temporary directory."""

import errno
import os
import threading
import time

import pytest

from brick import exception
from brick.local import filesystem

MiB = 1 << 20


def test_capacity_matches_statvfs(tmp_path):
    report = filesystem.capacity(tmp_path)
    st = os.statvfs(tmp_path)
    assert report.total == st.f_blocks * st.f_frsize > 0
    assert 0 <= report.free <= report.free_root <= report.total
    assert report.block_size == st.f_frsize
    assert report.read_only is False
    with pytest.raises(FileNotFoundError):
        filesystem.capacity(tmp_path / 'missing')


def test_sparse_file_counts_allocated_bytes(tmp_path):
    path = tmp_path / 'sparse'
    with open(path, 'wb') as f:
        f.truncate(100 * MiB)
    usage = filesystem.usage(path)
    assert usage.apparent == 100 * MiB
    assert usage.allocated < MiB
    with open(path, 'r+b') as f:
        f.seek(50 * MiB)
        f.write(b'x' * MiB)
        f.flush()
        os.fsync(f.fileno())
    usage = filesystem.usage(path)
    assert MiB <= usage.allocated < 3 * MiB
    assert usage.apparent == 100 * MiB


def test_usage_key_changes_when_the_file_does(tmp_path):
    path = tmp_path / 'f'
    path.write_bytes(b'a')
    key = filesystem.usage(path).key
    assert filesystem.usage(path).key == key
    path.write_bytes(b'ab')
    assert filesystem.usage(path).key != key
    replaced = tmp_path / 'g'
    replaced.write_bytes(b'ab')
    key = filesystem.usage(path).key
    os.replace(replaced, path)
    assert filesystem.usage(path).key != key     # another inode


def test_usage_does_not_follow_links(tmp_path):
    target = tmp_path / 'target'
    target.write_bytes(b'x' * 4096)
    os.symlink(target, tmp_path / 'link')
    assert filesystem.usage(tmp_path / 'link') is None
    assert filesystem.usage(tmp_path) is None


def test_create_exclusive_claims_a_name_privately(tmp_path):
    old = os.umask(0o077 ^ 0o777)  # a umask that would clear 0600
    try:
        fd = filesystem.create_exclusive(tmp_path / 'vol')
    finally:
        os.umask(old)
    os.close(fd)
    assert os.stat(tmp_path / 'vol').st_mode & 0o777 == 0o600
    with pytest.raises(FileExistsError):
        filesystem.create_exclusive(tmp_path / 'vol')
    os.symlink(tmp_path / 'elsewhere', tmp_path / 'planted')
    with pytest.raises(FileExistsError):
        filesystem.create_exclusive(tmp_path / 'planted')
    assert not (tmp_path / 'elsewhere').exists()


@pytest.mark.parametrize('mode', ['falloc', 'full'])
def test_allocate(tmp_path, mode):
    fd = filesystem.create_exclusive(tmp_path / 'vol')
    try:
        os.ftruncate(fd, 8 * MiB)
        filesystem.allocate(fd, 0, 8 * MiB, mode)
    finally:
        os.close(fd)
    usage = filesystem.usage(tmp_path / 'vol')
    assert usage.allocated >= 8 * MiB
    assert (tmp_path / 'vol').read_bytes() == bytes(8 * MiB)


def test_copy_sparse_keeps_data_and_holes(tmp_path):
    src = tmp_path / 'src'
    with open(src, 'wb') as f:
        f.truncate(64 * MiB)
        f.write(b'head' * 1024)
        f.seek(40 * MiB)
        f.write(os.urandom(MiB))
    dst = tmp_path / 'dst'
    src_fd = os.open(src, os.O_RDONLY)
    dst_fd = filesystem.create_exclusive(dst)
    try:
        os.ftruncate(dst_fd, 64 * MiB)
        filesystem.copy_sparse(src_fd, dst_fd, 64 * MiB)
    finally:
        os.close(src_fd)
        os.close(dst_fd)
    assert dst.read_bytes() == src.read_bytes()
    assert filesystem.usage(dst).allocated <= (
        filesystem.usage(src).allocated + MiB)


def test_copy_sparse_of_an_empty_file(tmp_path):
    (tmp_path / 'src').write_bytes(b'')
    src_fd = os.open(tmp_path / 'src', os.O_RDONLY)
    dst_fd = filesystem.create_exclusive(tmp_path / 'dst')
    try:
        os.ftruncate(dst_fd, MiB)
        filesystem.copy_sparse(src_fd, dst_fd, MiB)
    finally:
        os.close(src_fd)
        os.close(dst_fd)
    assert (tmp_path / 'dst').read_bytes() == bytes(MiB)


def test_locked_excludes_and_survives_removal_of_the_lock_file(tmp_path):
    lock = tmp_path / 'lock'
    inside = []
    overlap = []

    def worker(n):
        with filesystem.locked(lock):
            if inside:
                overlap.append(n)
            inside.append(n)
            time.sleep(0.01)
            inside.remove(n)
            os.unlink(lock)             # as Sidecar.locked does

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlap == []
    assert not lock.exists()


def test_sidecar_flags_and_locks(tmp_path):
    sidecar = filesystem.Sidecar(str(tmp_path), '.brick', 'managed')
    assert sidecar.flagged() == set()
    sidecar.set('a')
    sidecar.set('a')
    sidecar.set('b')
    assert sidecar.flagged() == {'a', 'b'} and sidecar.get('a')
    sidecar.set('a', False)
    sidecar.set('a', False)
    assert sidecar.flagged() == {'b'} and not sidecar.get('a')
    with sidecar.locked('x', 'b', 'x'):
        assert sorted(os.listdir(sidecar.locks)) == ['b', 'x']
    assert os.listdir(sidecar.locks) == []
    for path in (sidecar.root, sidecar.flags, sidecar.locks):
        assert os.stat(path).st_mode & 0o777 == 0o700


def test_os_errors_become_brick_exceptions(tmp_path):
    full = OSError(errno.ENOSPC, 'No space left on device', '/pool/vol')
    err = filesystem.brick_error(full, 'p1', str(tmp_path))
    assert isinstance(err, exception.InsufficientCapacity)
    assert 'p1' in str(err) and 'No space left' in str(err)
    gone = OSError(errno.ENOENT, 'No such file or directory', '/nope/vol')
    err = filesystem.brick_error(gone, 'p1', str(tmp_path / 'nope'))
    assert isinstance(err, exception.PoolNotFound)
    denied = OSError(errno.EACCES, 'Permission denied', '/pool/vol')
    err = filesystem.brick_error(denied, 'p1', str(tmp_path))
    assert type(err) is exception.BackendError
    assert 'Permission denied (/pool/vol)' in str(err)
