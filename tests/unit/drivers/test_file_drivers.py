# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The raw, qcow2 and vdi drivers on a real temporary directory, with
qemu-img replaced by a small fake that answers with real 7.2 output."""

import json
import os
import pathlib

import pytest

from brick import drivers
from brick import exception
from brick import testing
from brick.drivers.volume import Capability
from tests import images

DATA = pathlib.Path(__file__).parent.parent / 'data'
MiB = 1 << 20


def stderr_of(name):
    return (DATA / name).read_text()


class FakeQemuImg:
    """Keeps the virtual size of every image it 'made', by path, and
    answers ``info`` from the captured JSON of a real image."""

    def __init__(self):
        self.sizes = {}
        self.backing = {}
        self.fail = {}          # verb -> stderr file
        self.garbage = False

    def __call__(self, argv, process_input=None):
        verb = argv[1]
        if verb in self.fail:
            testing.fail(argv, 1, stderr_of(self.fail[verb]))
        if verb == '--version':
            return 'qemu-img version 7.2.22 (Debian 1:7.2+dfsg-7)\n'
        if verb == 'create':
            fmt, path, size = argv[4], argv[-2], int(argv[-1])
            if '-b' in argv:
                self.backing[argv[-2]] = argv[argv.index('-b') + 1]
            self.sizes[path] = size
            with open(path, 'wb') as f:    # a header, as qemu-img writes
                f.write(fmt.encode() * 64)
        elif verb == 'resize':
            self.sizes[argv[-2]] = int(argv[-1])
        elif verb == 'convert':
            src, dst = argv[-2], argv[-1]
            self.sizes[dst] = max(self.sizes.get(dst, 0), self.sizes[src])
        elif verb == 'info':
            return self.info(argv)
        return ''

    def info(self, argv):
        if self.garbage:
            return '{"virtual-size": '
        fmt = argv[argv.index('-f') + 1]
        path = argv[-1]
        template = {'qcow2': 'qemu-img-info-qcow2.json',
                    'vdi': 'qemu-img-info-vdi.json'}[fmt]
        data = json.loads((DATA / template).read_text())
        data.update({'filename': path, 'virtual-size': self.sizes[path]})
        if path in self.backing:
            data.update({'backing-filename': self.backing[path],
                         'backing-filename-format': 'qcow2'})
        return json.dumps(data)


@pytest.fixture
def qemu():
    return FakeQemuImg()


def load(kind, tmp_path, qemu, **options):
    driver = drivers.load(kind, executor=testing.FakeExecutor(qemu),
                          path=str(tmp_path / 'pool'), **options)
    driver.check()
    return driver


def argvs(driver, verb=None):
    return [a for a in driver.executor.argvs()
            if verb is None or a[1] == verb]


def tree(root):
    return sorted(os.path.relpath(os.path.join(d, n), root)
                  for d, dirs, files in os.walk(root) for n in dirs + files)


# -- options and construction -------------------------------------------------

@pytest.mark.parametrize('kind', ['raw', 'qcow2', 'vdi'])
def test_constructor_touches_nothing(tmp_path, kind):
    run = testing.FakeExecutor()
    drivers.load(kind, executor=run, path=str(tmp_path / 'pool'))
    assert not (tmp_path / 'pool').exists()
    assert run.count == 0


@pytest.mark.parametrize('kind, options, field', [
    ('raw', {'path': 'relative/dir'}, 'path'),
    ('raw', {'path': None}, 'path'),
    ('raw', {'allocation_ratio': 0.5}, 'allocation_ratio'),
    ('raw', {'allocation_ratio': True}, 'allocation_ratio'),
    ('raw', {'allocation_ratio': 'x'}, 'allocation_ratio'),
    ('raw', {'preallocation': 'metadata'}, 'preallocation'),
    ('vdi', {'preallocation': 'falloc'}, 'preallocation'),
    ('qcow2', {'preallocation': 'sparse'}, 'preallocation'),
    ('qcow2', {'cluster_size': 3000}, 'cluster_size'),
    ('qcow2', {'cluster_size': 4 * MiB}, 'cluster_size'),
    ('raw', {'cluster_size': 65536}, 'option of driver raw'),
])
def test_bad_options_are_named(tmp_path, kind, options, field):
    args = {'path': str(tmp_path)}
    args.update(options)
    with pytest.raises(exception.InvalidValue) as err:
        drivers.load(kind, executor=testing.FakeExecutor(), **args)
    assert field in str(err.value)


def test_the_three_drivers_share_common_options():
    classes = [drivers.driver_class(k) for k in ('raw', 'qcow2', 'vdi')]
    for dest in ('path', 'allocation_ratio', 'preallocation'):
        opts = {id(o) for cls in classes for o in cls.OPTS if o.dest == dest}
        assert len(opts) == 1, dest


@pytest.mark.parametrize('kind, preallocation, has, lacks', [
    ('raw', 'off', {Capability.THIN, Capability.SHRINK, Capability.CLONE},
     {Capability.SNAPSHOT}),
    ('raw', 'full', {Capability.SHRINK}, {Capability.THIN}),
    ('qcow2', 'off', {Capability.SNAPSHOT, Capability.CLONE_OVERLAY,
                      Capability.SHRINK, Capability.THIN}, set()),
    ('qcow2', 'metadata', {Capability.THIN}, {Capability.SHRINK}),
    ('qcow2', 'falloc', set(), {Capability.THIN, Capability.SHRINK}),
    ('vdi', 'off', {Capability.EXTEND_BY_COPY, Capability.THIN},
     {Capability.SHRINK, Capability.SNAPSHOT, Capability.CLONE_OVERLAY}),
    ('vdi', 'full', {Capability.EXTEND_BY_COPY}, {Capability.THIN}),
])
def test_capabilities_follow_the_pool(tmp_path, kind, preallocation, has,
                                      lacks):
    driver = drivers.load(kind, executor=testing.FakeExecutor(),
                          path=str(tmp_path), preallocation=preallocation)
    assert has <= driver.capabilities
    assert not lacks & driver.capabilities
    assert driver.capabilities <= type(driver).capabilities


# -- check ---------------------------------------------------------------

def test_check_makes_a_private_directory(tmp_path, qemu):
    raw = load('raw', tmp_path / 'a' / 'b', qemu)
    assert os.stat(raw.path).st_mode & 0o777 == 0o700
    assert raw.executor.count == 0               # raw needs no program
    qcow2 = load('qcow2', tmp_path, qemu)
    assert argvs(qcow2) == [('qemu-img', '--version')]


def test_check_without_qemu_img(tmp_path):
    def missing(argv, process_input=None):
        raise exception.ToolNotFound(tool=argv[0], purpose='test')
    for kind in ('qcow2', 'vdi'):
        with pytest.raises(exception.ToolNotFound):
            load(kind, tmp_path, missing)
    load('raw', tmp_path, missing)


def test_check_refuses_a_file_as_pool(tmp_path, qemu):
    (tmp_path / 'pool').write_bytes(b'')
    with pytest.raises(exception.PoolNotFound) as err:
        load('raw', tmp_path, qemu)
    assert 'pool' in str(err.value)


def test_operations_before_check_say_pool_not_found(tmp_path):
    driver = drivers.load('raw', executor=testing.FakeExecutor(),
                          path=str(tmp_path / 'nowhere'))
    with pytest.raises(exception.PoolNotFound):
        driver.list()


# -- create ----------------------------------------------------------------

def test_qcow2_create_claims_the_name_before_qemu_img(tmp_path, qemu):
    driver = load('qcow2', tmp_path, qemu, preallocation='falloc',
                  cluster_size=MiB)
    path = os.path.join(driver.path, 'vol')
    seen = {}

    def watch(argv, process_input=None):
        if argv[1] == 'create':
            st = os.stat(path)
            seen.update(size=st.st_size, mode=st.st_mode & 0o777,
                        managed=driver.sidecar.get('vol'))
        return qemu(argv)
    driver.executor.handler = watch
    volume = driver.create('vol', 4 * MiB)
    assert seen == {'size': 0, 'mode': 0o600, 'managed': True}
    assert argvs(driver, 'create') == [(
        'qemu-img', 'create', '-q', '-f', 'qcow2',
        '-o', 'preallocation=falloc,cluster_size=1048576', path,
        str(4 * MiB))]
    assert (volume.size, volume.format, volume.managed) == (
        4 * MiB, 'qcow2', True)
    assert len(argvs(driver)) == 2               # --version and create


@pytest.mark.parametrize('kind', ['qcow2', 'vdi'])
def test_failed_create_leaves_nothing(tmp_path, qemu, kind):
    driver = load(kind, tmp_path, qemu)
    before = tree(driver.path)
    qemu.fail['create'] = 'qemu-img-create-vdi-backing.stderr'
    with pytest.raises(exception.CommandFailed) as err:
        driver.create('vol', MiB)
    assert 'not supported' in str(err.value)
    assert tree(driver.path) == before
    assert driver.list() == []


@pytest.mark.parametrize('kind', ['qcow2', 'vdi'])
def test_existing_volume_is_checked_before_qemu_img(tmp_path, qemu, kind):
    driver = load(kind, tmp_path, qemu)
    driver.create('vol', MiB)
    run_before = len(argvs(driver))
    assert driver.create('vol', MiB).size == MiB
    with pytest.raises(exception.VolumeExists) as err:
        driver.create('vol', 2 * MiB)
    assert 'size 1048576' in str(err.value)
    assert argvs(driver)[run_before:] == []      # not even an info


def test_raw_runs_no_program(tmp_path, qemu):
    driver = load('raw', tmp_path, qemu)
    driver.create('vol', 4 * MiB)
    driver.extend('vol', 8 * MiB)
    driver.shrink('vol', 2 * MiB)
    driver.clone('vol', 'copy')
    driver.list()
    driver.capacity()
    driver.attach('vol')
    driver.delete('vol')
    assert driver.executor.count == 0
    assert os.path.getsize(os.path.join(driver.path, 'copy')) == 2 * MiB


def test_preallocated_create_beyond_free_space(tmp_path, qemu):
    driver = load('raw', tmp_path, qemu, preallocation='falloc')
    report = driver.capacity()
    too_big = (report.free // 512 + 1) * 512
    before = tree(driver.path)
    with pytest.raises(exception.InsufficientCapacity) as err:
        driver.create('vol', too_big)
    assert str(too_big) in str(err.value)
    assert tree(driver.path) == before


# -- extend, delete -----------------------------------------------------------

def test_vdi_extend_by_copy(tmp_path, qemu):
    driver = load('vdi', tmp_path, qemu)
    driver.create('vol', MiB)
    path = os.path.join(driver.path, 'vol')
    inode = os.stat(path).st_ino
    start = len(argvs(driver))
    assert driver.extend('vol', 3 * MiB).size == 3 * MiB
    create, convert = argvs(driver)[start:]
    temp = create[-2]
    assert os.path.dirname(temp) == driver.path
    assert os.path.basename(temp).startswith('.brick-tmp-vol-')
    assert create[:5] == ('qemu-img', 'create', '-q', '-f', 'vdi')
    assert create[-1] == str(3 * MiB)
    assert convert == ('qemu-img', 'convert', '-f', 'vdi', '-O', 'vdi',
                       '-n', '--target-is-zero', path, temp)
    assert os.stat(path).st_ino != inode
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert sorted(os.listdir(driver.path)) == ['.brick', 'vol']


def test_vdi_failed_extend_removes_the_copy(tmp_path, qemu):
    driver = load('vdi', tmp_path, qemu)
    driver.create('vol', MiB)
    inode = os.stat(os.path.join(driver.path, 'vol')).st_ino
    before = tree(driver.path)
    qemu.fail['convert'] = 'qemu-img-resize-vdi.stderr'
    with pytest.raises(exception.CommandFailed):
        driver.extend('vol', 2 * MiB)
    assert tree(driver.path) == before
    assert os.stat(os.path.join(driver.path, 'vol')).st_ino == inode
    assert driver.get('vol').size == MiB


def test_extend_smaller_says_shrink(tmp_path, qemu):
    driver = load('qcow2', tmp_path, qemu)
    driver.create('vol', 2 * MiB)
    with pytest.raises(exception.InvalidSize) as err:
        driver.extend('vol', MiB)
    assert 'extending never shrinks a volume' in str(err.value)
    assert '()' not in str(err.value)
    assert argvs(driver, 'resize') == []


def test_overlay_parent_cannot_go(tmp_path, qemu):
    driver = load('qcow2', tmp_path, qemu)
    driver.create('base', MiB)
    driver.clone('base', 'child', overlay=True)
    assert argvs(driver, 'create')[-1][5:9] == ('-b', 'base', '-F', 'qcow2')
    fresh = load('qcow2', tmp_path, qemu)      # learns from info, no cache
    for call in (lambda: fresh.delete('base'),
                 lambda: fresh.shrink('base', 512)):
        with pytest.raises(exception.VolumeBusy) as err:
            call()
        assert "'base'" in str(err.value) and 'child' in str(err.value)
    fresh.delete('child')
    fresh.delete('base')
    assert fresh.list() == []


# -- listing and caching -----------------------------------------------------

def test_list_runs_info_once_per_changed_file(tmp_path, qemu):
    driver = load('qcow2', tmp_path, qemu)
    for name in ('a', 'b', 'c'):
        path = os.path.join(driver.path, name)
        qemu(('qemu-img', 'create', '-q', '-f', 'qcow2', path, str(MiB)))
    start = len(argvs(driver))
    assert [v.managed for v in driver.list()] == [False] * 3
    driver.capacity()
    driver.get('b')
    assert len(argvs(driver)) - start == 3
    with open(os.path.join(driver.path, 'b'), 'ab') as f:
        f.write(b'more')
    driver.list()
    assert len(argvs(driver)) - start == 4
    os.unlink(os.path.join(driver.path, 'a'))
    driver.list()
    assert len(argvs(driver)) - start == 4
    assert set(driver._cache) == {'b', 'c'}


def test_malformed_info_of_a_volume_is_an_error(tmp_path, qemu):
    driver = load('vdi', tmp_path, qemu)
    qemu(('qemu-img', 'create', '-q', '-f', 'vdi',
          os.path.join(driver.path, 'v'), str(MiB)))
    qemu.garbage = True
    with pytest.raises(exception.MalformedOutput):
        driver.list()


def test_a_file_in_another_format_is_reported_raw(tmp_path, qemu):
    driver = load('qcow2', tmp_path, qemu)
    (tmp_path / 'pool' / 'odd').write_bytes(b'x' * 3000)
    qemu.fail['info'] = 'qemu-img-info-not-qcow2.stderr'
    (volume,) = driver.list()
    assert (volume.name, volume.format, volume.size, volume.managed) == (
        'odd', 'raw', 3000, False)


def test_capacity_max_volume(tmp_path, qemu):
    thin = load('raw', tmp_path, qemu, allocation_ratio=2.0)
    thin.create('vol', 64 * MiB)
    report = thin.capacity()
    expected = min(report.total * 2.0 - 64 * MiB, report.free * 2.0)
    assert abs(report.max_volume - expected) < 1 * MiB  # free moves a bit
    assert report.max_volume % 512 == 0
    assert report.provisioned == 64 * MiB
    thick = load('raw', tmp_path / 'other', qemu, preallocation='falloc')
    report = thick.capacity()
    assert report.max_volume <= report.free


def test_attach_connection_info(tmp_path, qemu):
    driver = load('vdi', tmp_path, qemu)
    driver.create('vol', MiB)
    assert driver.attach('vol') == {
        'driver_volume_type': 'local',
        'data': {'device_path': os.path.join(driver.path, 'vol'),
                 'format': 'vdi', 'name': 'vol'}}


# -- images --------------------------------------------------------------

def test_import_without_format_takes_the_contents_format(tmp_path, qemu):
    driver = load('qcow2', tmp_path, qemu)
    source = tmp_path / 'upload.img'
    source.write_bytes(images.qcow2_header(3 * MiB))
    qemu.sizes[str(source)] = 3 * MiB
    volume = driver.import_image('vol', str(source))
    info, convert = argvs(driver, 'info')[0], argvs(driver, 'convert')[0]
    assert info[3:5] == ('-f', 'qcow2')     # never a probe
    assert convert[2:6] == ('-f', 'qcow2', '-O', 'qcow2')
    assert volume.size == 3 * MiB and volume.managed


def test_export_never_overwrites_a_file(tmp_path, qemu):
    driver = load('raw', tmp_path, qemu)
    driver.create('vol', MiB)
    target = tmp_path / 'existing.qcow2'
    target.write_bytes(b'keep')
    with pytest.raises(exception.InvalidValue) as err:
        driver.export_image('vol', str(target), 'qcow2')
    assert 'export target' in str(err.value)
    assert target.read_bytes() == b'keep'
    assert driver.executor.count == 0


def test_a_broken_image_of_ours_is_never_handed_out_as_raw(tmp_path, qemu):
    driver = load('qcow2', tmp_path, qemu)
    driver.create('vol', MiB)
    with open(os.path.join(driver.path, 'vol'), 'wb') as f:
        f.write(b'overwritten by someone')
    qemu.fail['info'] = 'qemu-img-info-not-qcow2.stderr'
    assert driver.list()[0].format == 'raw'     # listing still works
    for call in (lambda: driver.get('vol'), lambda: driver.attach('vol')):
        with pytest.raises(exception.BackendError) as err:
            call()
        assert 'not a readable qcow2 image' in str(err.value)


@pytest.mark.parametrize('kind', ['raw', 'qcow2'])
def test_create_after_a_crash_between_claim_and_write(tmp_path, qemu, kind):
    driver = load(kind, tmp_path, qemu)
    driver.sidecar.set('vol')                   # what a crash leaves:
    (tmp_path / 'pool' / 'vol').write_bytes(b'')  # marker + empty claim
    volume = driver.create('vol', MiB)
    assert (volume.size, volume.managed) == (MiB, True)
