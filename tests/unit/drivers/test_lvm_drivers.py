# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The lvm and lvm-thin drivers against recorded lvm2 output.

The FakeExecutor answers with what lvm2 really printed (see
tests/unit/local/lvm_data); the tests check the commands run (as argv
tuples), how many, and what the drivers make of the answers.
"""

import json
import pathlib

import pytest
from oslo_config import cfg

from brick import drivers
from brick import exception
from brick import testing
from brick import units
from brick.drivers.volume import Capability
from tests import images

DATA = pathlib.Path(__file__).parents[1] / 'local' / 'lvm_data'
VG = 'brick-capture'
RETRY_DEACTIVATION = ('--config', 'activation { retry_deactivation = 1 }')
MiB = units.Mi
ERRORS = {**json.loads((DATA / 'errors-metadata.json').read_text()),
          **json.loads((DATA / 'errors-device.json').read_text())}


def data(name):
    return (DATA / name).read_text()


class Answers:
    """lvm subcommand (or program) -> list of replies, used in order; the
    last one repeats.  A reply is stdout, or ``{'case'}`` to fail with
    that recorded stderr."""

    def __init__(self, **replies):
        self.replies = {key: list(value) if isinstance(value, list)
                        else [value] for key, value in replies.items()}

    def __call__(self, argv, process_input=None):
        key = argv[1] if argv[0] == 'lvm' else argv[0]
        queue = self.replies.get(key, [''])
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(reply, set):
            testing.fail(argv, 5, ERRORS[next(iter(reply))])
        return reply


def thick(**replies):
    replies.setdefault('vgs', data('vgs.json'))
    execute = testing.FakeExecutor(Answers(**replies))
    driver = drivers.load('lvm', executor=execute, volume_group=VG,
                          volume_clear='none')
    return execute, driver


def thin(ratio=1.0, **replies):
    replies.setdefault('vgs', data('vgs.json'))
    replies.setdefault('lvs', data('lvs-thin.json'))
    execute = testing.FakeExecutor(Answers(**replies))
    driver = drivers.load('lvm-thin', executor=execute, volume_group=VG,
                          thin_pool='pool0', allocation_ratio=ratio)
    return execute, driver


def commands(execute):
    return [argv[1] if argv[0] == 'lvm' else argv[0]
            for argv in execute.argvs()]


# -- construction and options -------------------------------------------

def test_loading_runs_nothing():
    for name, options in (('lvm', {}), ('lvm-thin', {'thin_pool': 'p'})):
        execute = testing.FakeExecutor()
        drivers.load(name, executor=execute, volume_group='vg0', **options)
        assert execute.count == 0


@pytest.mark.parametrize('name,options,field', [
    ('lvm', {}, 'volume_group'),
    ('lvm', {'volume_group': 'vg0', 'volume_clear': 'shred'},
     'volume_clear'),
    ('lvm', {'volume_group': 'vg/0'}, 'volume_group'),
    ('lvm-thin', {'volume_group': 'vg0'}, 'thin_pool'),
    ('lvm-thin', {'volume_group': 'vg0', 'thin_pool': 'p',
                  'allocation_ratio': 0.5}, 'allocation_ratio'),
])
def test_bad_options_are_named(name, options, field):
    with pytest.raises(exception.InvalidInput) as err:
        drivers.load(name, executor=testing.FakeExecutor(), **options)
    assert '[pool:%s]%s' % (name, field) in str(err.value)


def test_options_from_a_pool_section():
    conf = cfg.ConfigOpts()
    conf([], default_config_files=[])
    conf.register_opts(drivers.COMMON_OPTS, group='pool:fast')
    conf.set_override('driver', 'lvm-thin', 'pool:fast')
    cls = drivers.driver_class('lvm-thin')
    conf.register_opts(cls.OPTS, group='pool:fast')
    conf.set_override('volume_group', 'vg0', 'pool:fast')
    conf.set_override('thin_pool', 'pool0', 'pool:fast')
    conf.set_override('devices', ['/dev/sdb'], 'pool:fast')
    driver = drivers.from_conf(conf, 'fast', executor=testing.FakeExecutor())
    assert (driver.volume_group, driver.thin_pool, driver.pool) == (
        'vg0', 'pool0', 'fast')
    assert driver.allocation_ratio == 1.0
    assert driver.lvm.devices == ('/dev/sdb',)
    volume_clear = {o.dest: o for o in drivers.driver_class('lvm').OPTS}[
        'volume_clear']
    assert volume_clear.default == 'zero'
    assert [c[0] for c in volume_clear.type.choices.items()] == [
        'none', 'zero']


def test_capabilities_are_declared():
    assert drivers.driver_class('lvm').capabilities == {
        Capability.CLONE, Capability.COPY_IMAGE}
    assert drivers.driver_class('lvm-thin').capabilities == {
        Capability.THIN, Capability.SNAPSHOT, Capability.CLONE,
        Capability.COPY_IMAGE}


def test_thick_has_no_snapshots():
    execute, driver = thick()
    with pytest.raises(exception.NotSupported):
        driver.create_snapshot('vol-1', 'snap-1')
    assert execute.count == 0


# -- thick --------------------------------------------------------------

def test_step_is_read_once_and_check_reads_the_vg():
    execute, driver = thick()
    assert driver.step() == 4 * MiB
    assert driver.step() == 4 * MiB
    assert commands(execute) == ['vgs']
    execute, driver = thick(vgs={'vg_missing'})
    with pytest.raises(exception.PoolNotFound):
        driver.check()


def test_thick_create_is_one_lvcreate():
    execute, driver = thick()
    driver.step()
    volume = driver.create('vol-1', 8 * MiB)
    assert (volume.name, volume.size, volume.managed, volume.format) == (
        'vol-1', 8 * MiB, True, 'raw')
    assert volume.path == '/dev/%s/vol-1' % VG
    assert execute.argvs()[1:] == [
        ('lvm', 'lvcreate', '--yes', '--zero', 'y', '--wipesignatures', 'y',
         '--addtag', 'brick', '--name', 'vol-1', '--size', '8388608b', VG)]


def test_thick_create_existing():
    execute, driver = thick(lvcreate={'exists'}, lvs=data('lvs-thick.json'))
    assert driver.create('vol-1', 8 * MiB).managed is True
    assert commands(execute) == ['vgs', 'lvcreate', 'lvs']
    with pytest.raises(exception.VolumeExists) as err:
        driver.create('vol-1', 16 * MiB)
    assert '8 MiB' in str(err.value) and '16 MiB' in str(err.value)
    # An unmanaged LV of the same size is returned as it is.
    assert driver.create('admin-lv', 12 * MiB).managed is False


def test_thick_create_full_vg():
    _, driver = thick(lvcreate={'no_space_create'})
    with pytest.raises(exception.InsufficientCapacity) as err:
        driver.create('huge', units.Gi)
    assert err.value.kwargs['available'] == 58 * 4 * MiB


@pytest.mark.parametrize('call', [
    lambda d: d.create('a/b', 8 * MiB),
    lambda d: d.create('..', 8 * MiB),
    lambda d: d.create('vol', 8 * MiB + 1),
    lambda d: d.create('vol', '8M'),
    lambda d: d.extend('vol', -4 * MiB),
    lambda d: d.delete('vol;rm'),
    lambda d: d.attach(None),
    lambda d: d.detach('x' * 64),
    lambda d: d.get('lvol0_pmspare'),
])
def test_bad_input_runs_nothing(call):
    execute, driver = thick()
    driver.step()
    before = execute.count
    with pytest.raises(exception.InvalidInput):
        call(driver)
    assert execute.count == before


def test_thick_extend():
    execute, driver = thick()
    driver.step()
    assert driver.extend('vol-1', 12 * MiB).size == 12 * MiB
    assert execute.argvs()[1] == ('lvm', 'lvextend', '--size', '12582912b',
                                  VG + '/vol-1')
    execute, driver = thick(lvextend={'same_size'},
                            lvs=data('lvs-thick.json'))
    assert driver.extend('vol-1', 8 * MiB).size == 8 * MiB
    assert commands(execute) == ['vgs', 'lvextend', 'lvs']
    _, driver = thick(lvextend={'smaller'})
    with pytest.raises(exception.InvalidSize) as err:
        driver.extend('vol-1', 4 * MiB)
    assert 'shrink' in str(err.value)
    _, driver = thick(lvextend={'lv_missing_extend'})
    with pytest.raises(exception.VolumeNotFound):
        driver.extend('nope', 8 * MiB)


def test_thick_delete_is_one_selected_lvremove():
    execute, driver = thick()
    driver.delete('vol-1')
    assert execute.argvs() == [
        ('lvm', 'lvremove', *RETRY_DEACTIVATION, '--yes', '--select',
         'lv_name="vol-1" && segtype!="thin" && segtype!~"-pool$"', VG)]


def test_thick_delete_with_zeroing():
    execute = testing.FakeExecutor(Answers(lvs=data('lvs-thin.json')))
    driver = drivers.load('lvm', executor=execute, volume_group=VG)
    driver.delete('thick-1')
    assert execute.argvs()[1:] == [
        ('lvm', 'lvchange', '--activate', 'y', VG + '/thick-1'),
        ('blkdiscard', '--zeroout', '/dev/%s/thick-1' % VG),
        ('lvm', 'lvremove', *RETRY_DEACTIVATION, '--yes', '--select',
         'lv_name="thick-1" && segtype!="thin" && segtype!~"-pool$"', VG)]
    assert commands(execute)[0] == 'lvs'
    execute = testing.FakeExecutor(Answers(lvs={'lv_missing_lvs'}))
    driver = drivers.load('lvm', executor=execute, volume_group=VG)
    driver.delete('gone')
    assert commands(execute) == ['lvs']


def test_thick_delete_of_an_open_volume_wipes_nothing():
    report = json.loads(data('lvs-thin.json'))
    for row in report['report'][0]['lv']:
        row['lv_attr'] = row['lv_attr'][:5] + 'o' + row['lv_attr'][6:]
    execute = testing.FakeExecutor(Answers(lvs=json.dumps(report)))
    driver = drivers.load('lvm', executor=execute, volume_group=VG)
    with pytest.raises(exception.VolumeBusy):
        driver.delete('thick-1')
    assert commands(execute) == ['lvs']


def test_thick_list_get_and_capacity():
    execute, driver = thick(lvs=data('lvs-thin.json'))
    assert [v.name for v in driver.list()] == ['thick-1']
    with pytest.raises(exception.VolumeNotFound):
        driver.get('pool0')  # a thin pool is not a thick volume
    execute, driver = thick(lvs=data('lvs-thick.json'))
    report = driver.capacity()
    assert report.free == 243269632
    assert report.provisioned == 20 * MiB
    assert report.total == report.free + report.provisioned == 264241152
    assert (report.unmanaged, report.unmanaged_volumes) == (12 * MiB, 1)
    assert (report.volumes, report.allocation_ratio) == (2, 1.0)
    assert report.max_volume == report.free and report.step == 4 * MiB


def test_attach_and_detach():
    execute, driver = thick(lvs=data('lvs-thick.json'))
    info = driver.attach('vol-1')
    assert info == {'driver_volume_type': 'local',
                    'data': {'device_path': '/dev/%s/vol-1' % VG,
                             'format': 'raw', 'name': 'vol-1'}}
    assert execute.argvs()[1] == ('lvm', 'lvchange', '--activate', 'y',
                                  VG + '/vol-1')
    driver.detach('vol-1')
    assert execute.argvs()[2] == (
        'lvm', 'lvchange', '--activate', 'n', '--select',
        'lv_name="vol-1" && segtype!="thin" && segtype!~"-pool$"', VG)
    execute, driver = thick(lvs=data('lvs-thin.json'))
    driver.attach('thick-1')  # active already: nothing to run
    assert commands(execute) == ['lvs']


# -- thin ---------------------------------------------------------------

def test_thin_list_hides_snapshots_and_pools():
    _, driver = thin()
    volumes = {v.name: v for v in driver.list()}
    assert sorted(volumes) == ['admin-thin', 'clone-1', 'vol-1']
    assert volumes['vol-1'].allocated == 2 * MiB
    assert volumes['clone-1'].backing == 'vol-1'
    assert volumes['admin-thin'].managed is False


def test_thin_capacity():
    execute, driver = thin(ratio=2.0)
    driver.step()
    report = driver.capacity()
    pool = 128 * MiB
    assert report.total == pool
    assert report.free == int(pool * (1 - 0.0156))
    # vol-1, clone-1, admin-thin and the snapshot of vol-1
    assert report.provisioned == (16 + 16 + 32 + 16) * MiB
    assert report.max_volume == 2 * pool - report.provisioned
    assert (report.unmanaged, report.unmanaged_volumes) == (32 * MiB, 1)
    assert report.volumes == 3 and report.allocation_ratio == 2.0
    assert commands(execute) == ['vgs', 'lvs']


def test_thin_create_checks_over_commit_with_one_lvs():
    execute, driver = thin()
    driver.step()
    volume = driver.create('new', 16 * MiB)
    assert (volume.size, volume.allocated, volume.managed) == (
        16 * MiB, 0, True)
    assert execute.argvs()[2] == (
        'lvm', 'lvcreate', '--yes', '--type', 'thin', '--addtag', 'brick',
        '--name', 'new', '--virtualsize', '16777216b', '--thinpool', 'pool0',
        VG)
    assert commands(execute) == ['vgs', 'lvs', 'lvcreate']
    with pytest.raises(exception.InsufficientCapacity) as err:
        driver.create('big', 52 * MiB)  # 128 - 80 = 48 MiB left
    assert err.value.kwargs['available'] == 48 * MiB
    assert commands(execute)[-1] == 'lvs'
    assert driver.create('vol-1', 16 * MiB).name == 'vol-1'  # idempotent
    with pytest.raises(exception.VolumeExists):
        driver.create('vol-1', 20 * MiB)
    assert 'lvcreate' not in commands(execute)[3:]


def test_thin_extend():
    execute, driver = thin()
    driver.step()
    assert driver.extend('vol-1', 16 * MiB).size == 16 * MiB
    assert driver.extend('vol-1', 20 * MiB).size == 20 * MiB
    assert commands(execute) == ['vgs', 'lvs', 'lvs', 'lvextend']
    with pytest.raises(exception.InvalidSize) as err:
        driver.extend('vol-1', 8 * MiB)
    assert 'shrink' in str(err.value)
    with pytest.raises(exception.InvalidName):  # snapshots: not volumes
        driver.extend('vol-1..snap-1', 20 * MiB)
    with pytest.raises(exception.InsufficientCapacity):
        driver.extend('vol-1', 80 * MiB)


def test_thin_delete_takes_the_snapshots_too():
    execute, driver = thin()
    driver.delete('vol-1')
    assert execute.argvs() == [
        ('lvm', 'lvremove', *RETRY_DEACTIVATION, '--yes', '--select',
         'lv_name="vol-1" && segtype="thin" && pool_lv="pool0"', VG),
        ('lvm', 'lvremove', *RETRY_DEACTIVATION, '--yes', '--select',
         'lv_tags={brick-snapshot} && pool_lv="pool0" && '
         r'lv_name=~"^vol-1\.\.[A-Za-z0-9]"', VG)]
    execute, driver = thin(lvremove={'busy_remove'})
    with pytest.raises(exception.VolumeBusy):
        driver.delete('vol-1')
    # Tried again after udev settled (LP #1270192); snapshots untouched.
    assert [argv[:2] for argv in execute.argvs()] == [
        ('lvm', 'lvremove'), ('udevadm', 'settle'), ('lvm', 'lvremove')]


def test_thin_attach_of_a_snapshot_ignores_activation_skip():
    report = json.loads(data('lvs-thin.json'))
    for row in report['report'][0]['lv']:
        if row['lv_name'] == 'vol-1..snap-1':
            row.update(lv_name='admin-snap', lv_tags='')
    execute, driver = thin(lvs=json.dumps(report))
    driver.attach('admin-snap')
    assert execute.argvs()[1] == ('lvm', 'lvchange', '--activate', 'y',
                                  '--ignoreactivationskip',
                                  VG + '/admin-snap')


def test_snapshots():
    execute, driver = thin()
    snap = driver.create_snapshot('vol-1', 'snap-2')
    assert (snap.name, snap.volume, snap.size) == ('snap-2', 'vol-1',
                                                   16 * MiB)
    argv = execute.argvs()[1]
    created = argv[7]
    assert argv == (
        'lvm', 'lvcreate', '--yes', '--snapshot', '--addtag',
        'brick-snapshot', '--addtag', created, '--setactivationskip', 'y',
        '--name', 'vol-1..snap-2', VG + '/vol-1')
    assert created.startswith('brick-created=')
    assert abs(int(created.split('=')[1]) / 1e9 - snap.created_at) < 1e-3
    listed = driver.list_snapshots('vol-1')
    assert [(s.name, s.created_at) for s in listed] == [('snap-1', 1e-9)]
    with pytest.raises(exception.VolumeNotFound):
        driver.list_snapshots('nope')
    execute, driver = thin()
    driver.delete_snapshot('vol-1', 'snap-1')
    assert execute.argvs() == [
        ('lvm', 'lvremove', *RETRY_DEACTIVATION, '--yes', '--select',
         'lv_name="vol-1..snap-1" && lv_tags={brick-snapshot}', VG)]


def test_snapshot_that_exists_is_returned():
    execute, driver = thin(lvcreate={'exists'})
    assert driver.create_snapshot('vol-1', 'snap-1').name == 'snap-1'
    assert commands(execute) == ['lvs', 'lvcreate', 'lvs']


def test_revert_merges_and_takes_the_snapshot_again():
    execute, driver = thin()
    driver.revert_snapshot('vol-1', 'snap-1')
    assert execute.argvs() == [
        execute.argvs()[0],
        ('lvm', 'lvchange', '--activate', 'n', VG + '/vol-1'),
        ('lvm', 'lvconvert', '--merge', VG + '/vol-1..snap-1'),
        ('lvm', 'lvcreate', '--yes', '--snapshot', '--addtag',
         'brick-snapshot', '--addtag', 'brick-created=1',
         '--setactivationskip', 'y', '--name', 'vol-1..snap-1',
         VG + '/vol-1'),
        ('lvm', 'lvchange', '--activate', 'y', VG + '/vol-1')]
    with pytest.raises(exception.SnapshotNotFound):
        driver.revert_snapshot('vol-1', 'nope')
    with pytest.raises(exception.VolumeNotFound):
        driver.revert_snapshot('nope', 'snap-1')


def test_revert_to_a_snapshot_an_earlier_merge_unlinked():
    report = json.loads(data('lvs-thin.json'))
    for row in report['report'][0]['lv']:
        if row['lv_name'] == 'vol-1..snap-1':
            row['origin'] = ''  # what lvm2 shows after another merge
    execute, driver = thin(lvs=json.dumps(report))
    driver.revert_snapshot('vol-1', 'snap-1')
    assert execute.argvs()[1:] == [
        ('lvm', 'lvcreate', '--yes', '--snapshot', '--addtag', 'brick',
         '--setactivationskip', 'n', '--name', 'vol-1..-new',
         VG + '/vol-1..snap-1'),
        ('lvm', 'lvchange', '--activate', 'n', VG + '/vol-1'),
        ('lvm', 'lvrename', VG, 'vol-1', 'vol-1..-old'),
        ('lvm', 'lvrename', VG, 'vol-1..-new', 'vol-1'),
        ('lvm', 'lvremove', *RETRY_DEACTIVATION, '--yes', VG + '/vol-1..-old'),
        ('lvm', 'lvchange', '--activate', 'y', VG + '/vol-1')]


def test_revert_of_a_busy_volume_changes_nothing():
    report = json.loads(data('lvs-thin.json'))
    for row in report['report'][0]['lv']:
        if row['lv_name'] == 'vol-1':
            row['lv_attr'] = 'Vwi-aotz--'
    execute, driver = thin(lvs=json.dumps(report))
    with pytest.raises(exception.VolumeBusy):
        driver.revert_snapshot('vol-1', 'snap-1')
    assert commands(execute) == ['lvs']


def test_thin_clone_is_a_thin_snapshot_without_activation_skip():
    execute, driver = thin()
    clone = driver.clone('vol-1', 'copy')
    assert (clone.size, clone.backing, clone.managed) == (16 * MiB, 'vol-1',
                                                         True)
    assert execute.argvs()[1] == (
        'lvm', 'lvcreate', '--yes', '--snapshot', '--addtag', 'brick',
        '--setactivationskip', 'n', '--name', 'copy', VG + '/vol-1')
    with pytest.raises(exception.VolumeExists):
        driver.clone('vol-1', 'clone-1')
    with pytest.raises(exception.VolumeNotFound):
        driver.clone('nope', 'x')


def test_thin_check_needs_the_pool():
    report = json.loads(data('lvs-thin.json'))
    report['report'][0]['lv'] = [row for row in report['report'][0]['lv']
                                 if row['lv_name'] != 'pool0']
    _, driver = thin(lvs=json.dumps(report))
    with pytest.raises(exception.PoolNotFound) as err:
        driver.check()
    assert '%s/pool0' % VG in str(err.value)


# -- clone and image copy (thick; lvm-thin inherits them) ----------------

def qemu_info(virtual_size, fmt='qcow2', **extra):
    return json.dumps({'filename': 'x', 'format': fmt,
                       'virtual-size': virtual_size, **extra})


def test_import_converts_into_a_new_active_volume(tmp_path):
    image = tmp_path / 'in.qcow2'
    image.write_bytes(images.qcow2_header(3 * MiB))
    execute, driver = thick(**{'qemu-img': qemu_info(3 * MiB),
                               'lvs': data('lvs-thick.json')})
    volume = driver.import_image('vol-1', str(image), 'qcow2')
    assert volume.name == 'vol-1'
    assert execute.argvs()[0][:3] == ('qemu-img', 'info', '--output=json')
    assert execute.argvs()[2:5] == [
        ('lvm', 'lvcreate', '--yes', '--zero', 'y', '--wipesignatures', 'y',
         '--addtag', 'brick', '--name', 'vol-1', '--size', '4194304b', VG),
        ('lvm', 'lvchange', '--activate', 'y', VG + '/vol-1'),
        ('qemu-img', 'convert', '-f', 'qcow2', '-O', 'raw', '-n',
         str(image), '/dev/%s/vol-1' % VG)]
    assert execute.argvs()[5] == ('lvm', 'lvchange', '--activate', 'n',
                                  VG + '/vol-1')


def test_import_with_progress_streams_qemu_imgs_percentages(tmp_path):
    image = tmp_path / 'in.raw'
    image.write_bytes(b'')
    with open(DATA.parents[1] / 'data' / 'qemu-img-convert-progress.stdout',
              newline='') as f:
        progress = f.read()
    execute, driver = thick(**{'qemu-img': [qemu_info(MiB, 'raw'),
                                            progress]})
    seen = []
    driver.import_image('vol-1', str(image), 'raw', progress=seen.append)
    assert ('qemu-img', 'convert', '-f', 'raw', '-O', 'raw', '-n', '-p',
            str(image), '/dev/%s/vol-1' % VG) in execute.argvs()
    assert seen[0] == 0.0 and seen[-1] == 100.0 and seen == sorted(seen)


def test_import_refuses_images_naming_other_files(tmp_path):
    image = tmp_path / 'evil.qcow2'
    image.write_bytes(images.qcow2_header(MiB))
    execute, driver = thick(**{'qemu-img': qemu_info(
        MiB, **{'backing-filename': '/etc/shadow'})})
    with pytest.raises(exception.InvalidValue) as err:
        driver.import_image('vol-1', str(image), 'qcow2')
    assert '/etc/shadow' in str(err.value)
    assert commands(execute) == ['qemu-img']


def test_failed_copy_removes_the_new_volume(tmp_path):
    image = tmp_path / 'in.raw'
    image.write_bytes(b'')

    def handler(argv, process_input=None):
        if argv[:2] == ('qemu-img', 'info'):
            return qemu_info(MiB, 'raw')
        if argv[:2] == ('qemu-img', 'convert'):
            testing.fail(argv, 1, 'qemu-img: error while writing')
        return data('vgs.json') if argv[1:2] == ('vgs',) else ''

    execute = testing.FakeExecutor(handler)
    driver = drivers.load('lvm', executor=execute, volume_group=VG)
    with pytest.raises(exception.CommandFailed):
        driver.import_image('vol-1', str(image), 'raw')
    assert commands(execute)[-3:] == ['qemu-img', 'lvchange', 'lvremove']
    assert execute.argvs()[-1] == ('lvm', 'lvremove', *RETRY_DEACTIVATION,
                                   '--yes', VG + '/vol-1')


def test_export_refuses_an_existing_file(tmp_path):
    target = tmp_path / 'out.raw'
    target.write_bytes(b'keep')
    execute, driver = thick()
    with pytest.raises(exception.InvalidValue):
        driver.export_image('vol-1', str(target))
    assert execute.count == 0 and target.read_bytes() == b'keep'


def test_thick_clone_copies_through_the_devices():
    execute, driver = thick(lvs=data('lvs-thick.json'))
    driver.step()
    driver.clone('vol-1', 'copy')
    assert execute.argvs()[2:7] == [
        ('lvm', 'lvcreate', '--yes', '--zero', 'y', '--wipesignatures', 'y',
         '--addtag', 'brick', '--name', 'copy', '--size', '8388608b', VG),
        ('lvm', 'lvchange', '--activate', 'y', VG + '/copy'),
        ('lvm', 'lvchange', '--activate', 'y', VG + '/vol-1'),
        ('qemu-img', 'convert', '-f', 'raw', '-O', 'raw', '-n',
         '/dev/%s/vol-1' % VG, '/dev/%s/copy' % VG),
        ('lvm', 'lvchange', '--activate', 'n', VG + '/vol-1')]
