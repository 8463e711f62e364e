# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The raw, qcow2 and vdi drivers on a real directory with real qemu-img:
the driver contract for each (sparse and preallocated), then what only
file pools do."""

import os
import subprocess

import pytest

from brick import drivers
from brick import exception
from brick import units
from brick.drivers.volume import Capability
from brick.local import executor
from tests.conftest import require_tool
from tests.functional import contract

MiB = units.Mi


def tree(root):
    """Every entry under *root*: files with size, mode, blocks and mtime;
    directories by name (their mtime moves with transient lock files)."""
    entries = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            entries.append((os.path.relpath(os.path.join(dirpath, name),
                                            root), 'dir'))
        for name in filenames:
            st = os.lstat(os.path.join(dirpath, name))
            entries.append((os.path.relpath(os.path.join(dirpath, name),
                                            root), st.st_size, st.st_mode,
                            st.st_blocks, st.st_mtime_ns))
    return sorted(entries, key=repr)


def run(*argv):
    return subprocess.run(argv, check=True, capture_output=True,
                          text=True).stdout


def make_file_driver(kind, path, **options):
    if kind != 'raw':
        require_tool('qemu-img', 'qemu-io')
    driver = drivers.load(kind, executor=executor.Executor(), path=path,
                          **options)
    driver.check()
    return driver


def make_out_of_band(driver, name, size, fmt=None):
    """What an administrator would do by hand."""
    path = os.path.join(driver.path, name)
    fmt = fmt or driver.format
    if fmt == 'raw':
        run('truncate', '-s', str(size), path)
    else:
        run('qemu-img', 'create', '-q', '-f', fmt, path, str(size))
    return path


class FileIO:
    """Reads and writes a volume's content with the bare tools."""

    def __init__(self, driver, scratch):
        self.driver = driver
        self.scratch = scratch

    def _path(self, name):
        return os.path.join(self.driver.path, name)

    def write(self, name, offset, data):
        if self.driver.format == 'raw':
            with open(self._path(name), 'r+b') as f:
                f.seek(offset)
                f.write(data)
            return
        source = self.scratch / 'pattern'
        source.write_bytes(data)
        run('qemu-io', '-f', self.driver.format, '-c',
            'write -q -s %s %d %d' % (source, offset, len(data)),
            self._path(name))

    def read(self, name, offset, length):
        path = self._path(name)
        if self.driver.format != 'raw':
            flat = self.scratch / 'flat.raw'
            run('qemu-img', 'convert', '-f', self.driver.format, '-O', 'raw',
                path, str(flat))
            path = str(flat)
        with open(path, 'rb') as f:
            f.seek(offset)
            return f.read(length)


class FilePoolContract(contract.DriverContract):
    KIND = None
    OPTIONS = {}

    @pytest.fixture
    def driver(self, tmp_path):
        return make_file_driver(self.KIND, str(tmp_path / 'pool'),
                                **self.OPTIONS)

    @pytest.fixture
    def make_unmanaged(self, driver):
        return lambda name, size: make_out_of_band(driver, name, size)

    @pytest.fixture
    def host_state(self, driver):
        return lambda: tree(driver.path)

    @pytest.fixture
    def volume_io(self, driver, tmp_path):
        scratch = tmp_path / 'scratch'
        scratch.mkdir()
        return FileIO(driver, scratch)


class TestRawContract(FilePoolContract):
    KIND = 'raw'


class TestRawPreallocatedContract(FilePoolContract):
    KIND = 'raw'
    OPTIONS = {'preallocation': 'falloc'}


class TestQcow2Contract(FilePoolContract):
    KIND = 'qcow2'


class TestQcow2PreallocatedContract(FilePoolContract):
    KIND = 'qcow2'
    OPTIONS = {'preallocation': 'falloc', 'cluster_size': 512 * units.Ki}


class TestVdiContract(FilePoolContract):
    KIND = 'vdi'


class TestVdiStaticContract(FilePoolContract):
    KIND = 'vdi'
    OPTIONS = {'preallocation': 'full'}


# -- what only file pools do ------------------------------------------------

@pytest.fixture(params=['raw', 'qcow2', 'vdi'])
def driver(request, tmp_path):
    return make_file_driver(request.param, str(tmp_path / 'pool'))


@pytest.fixture
def qcow2(tmp_path):
    return make_file_driver('qcow2', str(tmp_path / 'pool'))


@pytest.fixture
def io(driver, tmp_path):
    return FileIO(driver, tmp_path)


def test_pool_directory_and_files_are_private(tmp_path):
    old = os.umask(0)  # the most permissive umask a service could have
    try:
        for kind in ('raw', 'qcow2', 'vdi'):
            pool = tmp_path / 'deep' / kind
            driver = make_file_driver(kind, str(pool))
            assert os.stat(pool).st_mode & 0o777 == 0o700
            volume = driver.create('vol', MiB)
            driver.clone('vol', 'copy')
            driver.extend('vol', 2 * MiB)
            for name in ('vol', 'copy'):
                assert os.stat(pool / name).st_mode & 0o777 == 0o600, (
                    kind, name)
            assert volume.path == str(pool / 'vol')
    finally:
        os.umask(old)


def test_qemu_img_never_overwrites_a_file(driver):
    path = make_out_of_band(driver, 'precious', 2 * MiB, fmt='raw')
    with open(path, 'r+b') as f:
        f.write(b'do not lose me')
    before = tree(driver.path)
    with pytest.raises(exception.VolumeExists):
        driver.create('precious', 4 * MiB)
    assert tree(driver.path) == before
    with open(path, 'rb') as f:
        assert f.read(14) == b'do not lose me'


def test_files_in_another_format_are_raw_and_never_probed(driver):
    # A qcow2 header in a file of a raw or vdi pool is data, not format.
    path = make_out_of_band(driver, 'stranger', MiB,
                            fmt='vdi' if driver.format == 'qcow2'
                            else 'qcow2')
    volume = driver.get('stranger')
    assert (volume.format, volume.managed) == ('raw', False)
    assert volume.size == os.path.getsize(path)
    assert driver.attach('stranger')['data']['format'] == 'raw'


def test_links_directories_and_dotfiles_are_not_volumes(driver, tmp_path):
    secret = tmp_path / 'secret'
    secret.write_bytes(b'x' * 4096)
    os.symlink(secret, os.path.join(driver.path, 'link'))
    os.mkdir(os.path.join(driver.path, 'subdir'))
    with open(os.path.join(driver.path, '.hidden'), 'wb') as f:
        f.write(b'y')
    assert driver.list() == []
    with pytest.raises(exception.VolumeNotFound):
        driver.attach('link')
    with pytest.raises(exception.VolumeExists):
        driver.create('link', MiB)
    assert secret.read_bytes() == b'x' * 4096


def test_listing_is_cached_until_a_file_changes(tmp_path):
    ex = executor.Executor()
    driver = make_file_driver('qcow2', str(tmp_path / 'pool'))
    driver.executor = driver.qemu_img.executor = ex
    for i in range(5):
        make_out_of_band(driver, 'v%d' % i, MiB)
    start = ex.count
    assert driver.capacity().volumes == 5
    assert ex.count - start == 5           # one info per file
    driver.list()
    driver.capacity()
    assert ex.count - start == 5           # cached
    run('qemu-img', 'resize', '-q', '-f', 'qcow2',
        os.path.join(driver.path, 'v3'), str(2 * MiB))
    assert driver.get('v3').size == 2 * MiB
    assert ex.count - start == 6           # only v3 again


@pytest.mark.parametrize('kind, create, extend, delete', [
    ('raw', 0, 0, 0), ('qcow2', 1, 1, 0), ('vdi', 1, 2, 0)])
def test_commands_per_operation(tmp_path, kind, create, extend, delete):
    driver = make_file_driver(kind, str(tmp_path / 'pool'))
    counts = []
    for call in (lambda: driver.create('vol', MiB),
                 lambda: driver.extend('vol', 2 * MiB),
                 lambda: driver.delete('vol')):
        start = driver.executor.count
        call()
        counts.append(driver.executor.count - start)
    assert counts == [create, extend, delete]


def _create_in_child(kind, path, size, results, start):
    driver = drivers.load(kind, executor=executor.Executor(), path=path)
    try:
        start.wait(timeout=60)          # all children race from here
        size = driver.create('vol', size).size
        results.put(('ok', size,
                     [r.argv[1] for r in driver.executor.history]))
    except Exception as err:  # report anything to the parent
        results.put(('error', type(err).__name__, str(err)))


@pytest.mark.parametrize('kind', ['raw', 'qcow2'])
def test_concurrent_creates_of_one_name(tmp_path, kind):
    import multiprocessing
    driver = make_file_driver(kind, str(tmp_path / 'pool'))
    context = multiprocessing.get_context('spawn')
    results, start = context.Queue(), context.Barrier(4)
    children = [context.Process(target=_create_in_child,
                                args=(kind, driver.path, 4 * MiB, results,
                                      start))
                for _ in range(4)]
    try:
        for child in children:
            child.start()
        outcomes = [results.get(timeout=60) for _ in children]
    finally:
        for child in children:
            child.join(timeout=10)
            if child.is_alive():
                child.kill()
                child.join()
    assert all(o[:2] == ('ok', 4 * MiB) for o in outcomes), outcomes
    # qemu-img create ran once; the others found the finished volume
    # (and asked qemu-img its size: their caches were empty).
    expected = [[]] * 4 if kind == 'raw' else [['create']] + [['info']] * 3
    assert sorted(o[2] for o in outcomes) == expected
    assert [v.name for v in driver.list()] == ['vol']
    assert os.listdir(os.path.join(driver.path, '.brick', 'locks')) == []


# -- qcow2 ---------------------------------------------------------------

def test_qcow2_snapshots_keep_data(qcow2, tmp_path):
    io = FileIO(qcow2, tmp_path)
    qcow2.create('vol', 4 * MiB)
    io.write('vol', 0, b'A' * 4096)
    qcow2.create_snapshot('vol', 'first')
    io.write('vol', 0, b'B' * 4096)
    qcow2.create_snapshot('vol', 'second')
    io.write('vol', 0, b'C' * 4096)
    assert [s.name for s in qcow2.list_snapshots('vol')] == [
        'first', 'second']
    info = run('qemu-img', 'snapshot', '-l', os.path.join(qcow2.path, 'vol'))
    assert 'first' in info and 'second' in info
    qcow2.revert_snapshot('vol', 'first')
    assert io.read('vol', 0, 4096) == b'A' * 4096
    qcow2.revert_snapshot('vol', 'second')
    assert io.read('vol', 0, 4096) == b'B' * 4096
    qcow2.delete_snapshot('vol', 'first')
    assert [s.name for s in qcow2.list_snapshots('vol')] == ['second']
    with pytest.raises(exception.InvalidName):
        qcow2.create_snapshot('vol', '1')     # would read as an ID


def test_qcow2_overlay_is_relative_and_protects_its_source(qcow2, tmp_path):
    io = FileIO(qcow2, tmp_path)
    qcow2.create('base', 4 * MiB)
    io.write('base', 0, b'base' * 1024)
    child = qcow2.clone('base', 'child', overlay=True)
    assert child.backing == 'base'
    info = run('qemu-img', 'info', '--output=json', '-f', 'qcow2',
               child.path)
    assert '"backing-filename": "base"' in info
    for call in (lambda: qcow2.delete('base'),
                 lambda: qcow2.revert_snapshot('base', 'x'),
                 lambda: qcow2.shrink('base', MiB)):
        with pytest.raises((exception.VolumeBusy,
                            exception.SnapshotNotFound)) as err:
            call()
        if isinstance(err.value, exception.VolumeBusy):
            assert 'child' in str(err.value)
    io.write('child', 0, b'kid!' * 1024)
    assert io.read('base', 0, 4096) == b'base' * 1024
    # The pool directory can move: the backing name is relative.
    moved = tmp_path / 'moved'
    os.rename(qcow2.path, moved)
    again = make_file_driver('qcow2', str(moved))
    assert again.get('child').backing == 'base'
    assert FileIO(again, tmp_path).read('child', 0, 4096) == b'kid!' * 1024
    again.delete('child')
    again.delete('base')
    assert again.list() == []


def test_preallocated_qcow2_does_not_shrink(tmp_path):
    driver = make_file_driver('qcow2', str(tmp_path / 'pool'),
                              preallocation='falloc')
    driver.create('vol', 4 * MiB)
    assert not driver.supports(Capability.SHRINK)
    assert not driver.supports(Capability.THIN)
    with pytest.raises(exception.NotSupported):
        driver.shrink('vol', 2 * MiB)
    assert driver.get('vol').size == 4 * MiB


def test_import_refuses_images_pointing_elsewhere(qcow2, tmp_path):
    base = tmp_path / 'host-file'
    base.write_bytes(b'secret' * 1000)
    evil = tmp_path / 'evil.qcow2'
    run('qemu-img', 'create', '-q', '-f', 'qcow2', '-b', str(base), '-F',
        'raw', str(evil), str(MiB))
    for fmt in (None, 'qcow2'):
        with pytest.raises(exception.InvalidValue) as err:
            qcow2.import_image('evil', str(evil), fmt)
        assert 'backing_file: Image has a backing file' in str(err.value)
    assert qcow2.list() == []


def test_import_reports_progress(qcow2, tmp_path):
    source = tmp_path / 'source.raw'
    source.write_bytes(b'\x01' * (8 * MiB + 100))  # not sector-aligned
    seen = []
    volume = qcow2.import_image('vol', str(source), 'raw',
                                progress=seen.append)
    assert volume.size == units.round_up(8 * MiB + 100, 512)
    assert seen and seen[-1] == 100.0
    assert seen == sorted(seen)


# -- vdi -----------------------------------------------------------------

@pytest.fixture
def vdi(tmp_path):
    return make_file_driver('vdi', str(tmp_path / 'pool'))


def test_vdi_extend_by_copy_keeps_data(vdi, tmp_path):
    io = FileIO(vdi, tmp_path)
    assert vdi.supports(Capability.EXTEND_BY_COPY)
    vdi.create('vol', 2 * MiB)
    io.write('vol', MiB, b'Z' * 8192)
    assert vdi.extend('vol', 6 * MiB).size == 6 * MiB
    assert io.read('vol', MiB, 8192) == b'Z' * 8192
    assert io.read('vol', 5 * MiB, 8192) == bytes(8192)
    assert sorted(os.listdir(vdi.path)) == ['.brick', 'vol']
    assert os.stat(os.path.join(vdi.path, 'vol')).st_mode & 0o777 == 0o600


def test_vdi_extend_keeps_a_sparse_volume_sparse(vdi):
    # qemu-img convert -n writes every zero area of the source unless told
    # the new target reads as zeros; a sparse extend must stay sparse.
    vdi.create('vol', 64 * MiB)
    grown = vdi.extend('vol', 128 * MiB)
    assert grown.size == 128 * MiB
    blocks = os.stat(os.path.join(vdi.path, 'vol')).st_blocks * 512
    assert blocks < MiB, blocks


def test_vdi_failed_extend_leaves_no_temp_file(vdi, tmp_path):
    require_tool('qemu-nbd')
    io = FileIO(vdi, tmp_path)
    vdi.create('vol', 2 * MiB)
    io.write('vol', 0, b'Q' * 4096)
    before = tree(vdi.path)
    # A real writer holding qemu's image lock makes the copy fail.
    server = subprocess.Popen(
        ['qemu-nbd', '-f', 'vdi', '-k', str(tmp_path / 'nbd.sock'),
         os.path.join(vdi.path, 'vol')], stderr=subprocess.PIPE)
    try:
        _wait_for(tmp_path / 'nbd.sock', server)
        with pytest.raises(exception.CommandFailed) as err:
            vdi.extend('vol', 4 * MiB)
        assert 'lock' in str(err.value)
    finally:
        server.terminate()
        server.wait()
    assert tree(vdi.path) == before
    assert io.read('vol', 0, 4096) == b'Q' * 4096
    assert vdi.extend('vol', 4 * MiB).size == 4 * MiB


def _wait_for(path, process, timeout=10.0):
    import time
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, 'qemu-nbd did not start'
        time.sleep(0.02)


def test_vdi_has_no_snapshots_or_overlays(vdi):
    vdi.create('vol', MiB)
    with pytest.raises(exception.NotSupported):
        vdi.create_snapshot('vol', 'snap')
    with pytest.raises(exception.NotSupported):
        vdi.clone('vol', 'child', overlay=True)
    with pytest.raises(exception.NotSupported):
        vdi.shrink('vol', 512)


def test_import_and_export_other_formats(driver, tmp_path):
    source = str(tmp_path / 'appliance.vmdk')
    run('qemu-img', 'create', '-q', '-f', 'vmdk', source, str(4 * MiB))
    run('qemu-io', '-f', 'vmdk', '-c', 'write -q -P 0x3c 1M 64k', source)
    volume = driver.import_image('appliance', source)   # detected, vetted
    assert (volume.size, volume.format) == (4 * MiB, driver.format)
    io = FileIO(driver, tmp_path)
    assert io.read('appliance', MiB, 65536) == b'\x3c' * 65536
    target = str(tmp_path / 'out.qcow2')
    driver.export_image('appliance', target, 'qcow2')
    out = run('qemu-io', '-f', 'qcow2', '-c', 'read -P 0x3c 1M 64k', target)
    assert 'read 65536/65536' in out
