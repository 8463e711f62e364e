# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The checks the privsep daemon runs before any root command
(tests/functional/test_privsep.py runs them in a real daemon): every
command brick builds passes, and nothing else does."""

import os

import pytest

from brick import drivers
from brick import exception
from brick import testing
from brick import units
from brick.local import loop
from brick.local import lvm
from brick.local import qemu_img
from brick.privileged import operations
from brick.privileged import rules
from tests import images
from tests.unit.drivers.test_lvm_drivers import VG
from tests.unit.drivers.test_lvm_drivers import Answers
from tests.unit.drivers.test_lvm_drivers import data

MiB = units.Mi


def check(argv, env=None):
    """What the entry point :func:`operations.route` picks would check."""
    assert operations.route(argv) is not None, argv
    rules.environment(env)
    if argv[0] == 'lvm':
        return rules.lvm(argv, (argv[1],))
    if argv[0] == 'losetup':
        return rules.losetup(argv)
    if argv[0] == 'qemu-img':
        return rules.qemu_img_convert(argv)
    return argv


def root_commands(execute):
    return [record.argv for record in execute.history]


def test_every_lvm_command_brick_builds_passes():
    execute = testing.FakeExecutor(Answers(vgs=data('vgs.json'),
                                           lvs=data('lvs-thin.json')))
    prims = lvm.LVM(execute, config='global { activation = 0 } backup { '
                    'backup = 0 archive = 0 }', devices=['/dev/loop7'])
    prims.vg(VG)
    prims.lvs(VG)
    prims.lvs(VG, 'a', 'b')
    prims.create_lv(VG, 'a', MiB, tags=('brick',))
    prims.create_lv(VG, 'a', MiB, zero=False)
    prims.create_thin_pool(VG, 'pool0', 8 * MiB)
    prims.create_thin_lv(VG, 'pool0', 'b', MiB, tags=('brick',))
    prims.create_thin_snapshot(VG, 'b', 'b..s1', tags=('brick-snapshot',))
    prims.create_thin_snapshot(VG, 'b', 'c', activation_skip=False)
    prims.extend_lv(VG, 'a', 2 * MiB)
    prims.remove_lv(VG, 'a')
    prims.rename_lv(VG, 'a', 'b')
    prims.activate(VG, 'a')
    prims.activate(VG, 'b..s1', ignore_skip=True)
    prims.deactivate(VG, 'a')
    prims.merge_snapshot(VG, 'b..s1')
    # The drivers' selections, and their deletes and detaches.
    for name in ('lvm', 'lvm-thin'):
        driver = drivers.load(name, executor=execute, volume_group=VG,
                              **({'thin_pool': 'pool0'} if name ==
                                 'lvm-thin' else {}))
        driver.delete('vol-1')
        driver.detach('vol-1')
    commands = root_commands(execute)
    assert {argv[1] for argv in commands} == set(rules.LVM_COMMANDS)
    for argv in commands:
        assert check(argv) == argv


def test_every_losetup_and_image_copy_brick_builds_passes(tmp_path,
                                                          monkeypatch):
    monkeypatch.setattr(rules, 'caller_uid', lambda: os.getuid())
    source = tmp_path / 'in.qcow2'
    source.write_bytes(images.qcow2_header(MiB))
    backing = tmp_path / 'file.raw'
    backing.write_bytes(b'\0' * 512)
    execute = testing.FakeExecutor(lambda argv, process_input=None:
                                   '/dev/loop3\n' if '--show' in argv
                                   else '{"loopdevices": []}')
    loops = loop.LoopDevices(execute)
    loops.attach(str(backing))
    loops.list()
    execute.history.clear()
    for action in ('--detach', '--set-capacity'):
        execute(loop.LOSETUP, action, '/dev/loop3', run_as_root=True)
    img = qemu_img.QemuImg(execute)
    lv = '/dev/%s/vol-1' % VG
    img.convert(str(source), lv, 'qcow2', 'raw', target_exists=True,
                run_as_root=True)
    img.convert(lv, '/dev/%s/vol-2' % VG, 'raw', 'raw', target_exists=True,
                run_as_root=True)
    img.convert(lv, str(tmp_path / 'out.qcow2'), 'raw', 'qcow2',
                run_as_root=True)
    for argv in root_commands(execute):
        assert check(argv) == argv


def _refused(argv, match, env=None):
    with pytest.raises(exception.InvalidValue, match=match):
        check(argv, env)


@pytest.mark.parametrize('argv,match', [
    (('lvm', 'vgs', '--config',
      'global { thin_check_executable = "/tmp/x" }', 'vg'),
     "setting.*'global/thin_check_executable'"),
    (('lvm', 'lvs', '--config', 'backup { backup_dir = "/etc/cron.d" }',
      'vg'), "'backup/backup_dir'"),
    (('lvm', 'vgs', '--config', 'global/activation=0', 'vg'),
     'lvm2 --config'),
    (('lvm', 'lvcreate', '--name', '../x', '--size', '1b', 'vg'),
     "LVM name.* '../x'"),
    (('lvm', 'lvcreate', '--name', 'x', '--size', '1b', '..'),
     "LVM name.* '..'"),
    (('lvm', 'lvcreate', '--size', '1G', 'vg'), "Invalid size.* '1G'"),
    (('lvm', 'lvremove', '--yes', '--select', 'lv_name=`id`', 'vg'),
     'LVM selection'),
    (('lvm', 'lvchange', '--activate', 'y', '--refresh', 'vg/a'),
     "option.* '--refresh'"),
    (('lvm', 'vgs', 'vg', 'other-vg'), 'operands of lvm vgs'),
    (('lvm', 'lvextend', '--size', '1b', 'vg'), "LVM target.* 'vg'"),
    (('losetup', '--find', '--show', '--', 'relative'), 'absolute path'),
    (('losetup', '--detach', '/dev/sda'), 'loop device'),
    (('losetup', '--list', '--json', '--output', 'NAME', '--all'),
     'command'),
])
def test_anything_else_is_refused(argv, match):
    _refused(argv, match)


def test_no_entry_point_runs_anything_else():
    for argv in (('sh', '-c', 'id'), ('lvm',), ('lvm', 'vgremove', 'vg'),
                 ('qemu-img', 'info', 'x'),
                 ('dd', 'if=/dev/zero'), ('udevadm', 'trigger')):
        assert operations.route(argv) is None
    # Each entry point takes only its own commands.
    with pytest.raises(exception.InvalidValue, match='allowed: lvm lvcreate'):
        rules.lvm(('lvm', 'lvremove', '--yes', 'vg/a'), ('lvcreate',))


def test_environment_carries_brick_variables_only(tmp_path):
    assert rules.environment({'LC_ALL': 'C', 'DM_DISABLE_UDEV': '1'})
    for env in ({'LD_PRELOAD': '/tmp/x.so'}, {'LC_ALL': 'en_US'},
                {'LVM_SYSTEM_DIR': '/tmp'}, {'PATH': '/tmp'}):
        with pytest.raises(exception.InvalidValue):
            rules.environment(env)
    # A private LVM_SYSTEM_DIR only root could have written is fine.
    private = tmp_path / 'lvm'
    private.mkdir(mode=0o755)
    if os.geteuid() == 0:
        assert rules.environment({'LVM_SYSTEM_DIR': str(private)})
        (private / 'lvm.conf').write_text('')
        os.chmod(private / 'lvm.conf', 0o666)
    with pytest.raises(exception.InvalidValue, match='LVM_SYSTEM_DIR'):
        rules.environment({'LVM_SYSTEM_DIR': str(private)})


def test_files_read_or_written_as_root_are_the_callers(tmp_path,
                                                      monkeypatch):
    own = tmp_path / 'own.raw'
    own.write_bytes(b'\0' * 512)
    os.chmod(own, 0o600)
    caller = os.stat(own).st_uid
    assert rules.readable_file(str(own), uid=caller) == str(own)
    with pytest.raises(exception.InvalidValue, match=r'uid 4242\) may read'):
        rules.readable_file(str(own), uid=4242)
    os.chmod(own, 0o644)
    assert rules.readable_file(str(own), uid=4242)
    link = tmp_path / 'link'
    link.symlink_to(own)
    with pytest.raises(exception.InvalidValue, match='not a symbolic'):
        rules.readable_file(str(link), uid=caller)
    assert rules.new_file(str(tmp_path / 'new'), uid=caller)
    with pytest.raises(exception.InvalidValue, match='directory of the '
                       'caller'):
        rules.new_file(str(tmp_path / 'new'), uid=4242)
    with pytest.raises(exception.InvalidValue, match='where nothing is'):
        rules.new_file(str(own), uid=caller)
    # qemu-img convert: as a caller of uid 4242, root's files are out of
    # reach whichever way round; an image naming a backing file is
    # refused by the inspection repeated here.
    monkeypatch.setattr(rules, 'caller_uid', lambda: 4242)
    lv = '/dev/vg/vol-1'
    _refused(('qemu-img', 'convert', '-f', 'raw', '-O', 'raw', '-n',
              '/etc/shadow', lv), r'uid 4242\) may read')
    _refused(('qemu-img', 'convert', '-f', 'raw', '-O', 'raw', lv,
              '/etc/cron.d/brick'), 'directory of the caller')
    _refused(('qemu-img', 'convert', '-f', 'raw', '-O', 'raw', '-n',
              str(own), str(tmp_path / 'other.raw')), 'logical volume')
    _refused(('qemu-img', 'convert', '-f', 'raw', '-O', 'raw', '-n', lv,
              '/dev/sda'), 'new file of the caller')
    evil = tmp_path / 'evil.qcow2'
    evil.write_bytes(images.qcow2_header(MiB))
    with open(evil, 'r+b') as header:
        header.seek(8)    # backing_file_offset, backing_file_size
        header.write((512).to_bytes(8, 'big') + (11).to_bytes(4, 'big'))
        header.seek(512)
        header.write(b'/etc/shadow')
    os.chmod(evil, 0o644)
    _refused(('qemu-img', 'convert', '-f', 'qcow2', '-O', 'raw', '-n',
              str(evil), lv), 'backing_file')
    _refused(('qemu-img', 'convert', '-f', 'raw', '-O', 'raw', '-o',
              'backing_file=/etc/shadow', lv, '/dev/vg/vol-2'),
             'qemu-img option')
