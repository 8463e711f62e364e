# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The Ganeti provider without devices: the environment, LVM-backed
volumes (real LvmDriver, recorded lvm2 output; this host has no
device-mapper, so an activated LV cannot exist here), losetup's output,
and the provider directory.  Raw files on real loop devices are tested
in tests/functional/test_ganeti.py."""

import io
import os
import stat

import pytest

from brick import exception
from brick import testing
from brick import units
from brick.ganeti import environment
from brick.ganeti import install
from brick.ganeti import provider as provider_mod
from brick.local import loop
from tests.unit.drivers.test_lvm_drivers import VG
from tests.unit.drivers.test_lvm_drivers import data
from tests.unit.drivers.test_lvm_drivers import thick

BASE = {'VOL_NAME': 'vol-1', 'EXTP_PROVIDER': 'brick',
        'EXTP_ACCESS': 'kernelspace'}


def parse(action, **env):
    return environment.parse(action, dict(BASE, **env))


class TestEnvironment:

    def test_sizes_are_mib(self):
        request = parse('grow', VOL_SIZE='10', VOL_NEW_SIZE='20',
                        EXTP_POOL='fast')
        assert (request.size, request.new_size) == (10 * units.Mi,
                                                    20 * units.Mi)
        assert request.params == {'pool': 'fast'}
        assert request.access == 'kernelspace'

    def test_per_action_variables(self):
        assert parse('setinfo', VOL_METADATA='x y').metadata == 'x y'
        snap = parse('snapshot', VOL_SNAPSHOT_NAME='vol-1.snap',
                     VOL_SNAPSHOT_SIZE='5')
        assert (snap.snapshot_name, snap.snapshot_size) == (
            'vol-1.snap', 5 * units.Mi)
        assert parse('open', VOL_OPEN_EXCLUSIVE='False').exclusive is False
        assert parse('open').exclusive is True
        assert parse('attach').size is None

    @pytest.mark.parametrize('action,env,field', [
        ('create', {}, 'VOL_SIZE'),
        ('create', {'VOL_SIZE': '0'}, 'VOL_SIZE'),
        ('create', {'VOL_SIZE': '1G'}, 'VOL_SIZE'),
        ('grow', {'VOL_SIZE': '1'}, 'VOL_NEW_SIZE'),
        ('snapshot', {}, 'VOL_SNAPSHOT_NAME'),
        ('attach', {'VOL_NAME': ''}, 'VOL_NAME'),
        ('attach', {'VOL_NAME': '../etc'}, 'VOL_NAME'),
        ('mount', {}, 'ExtStorage action'),
    ])
    def test_bad_environment_names_the_variable(self, action, env, field):
        with pytest.raises(exception.InvalidInput) as caught:
            parse(action, **env)
        assert field in str(caught.value)


class NoLoops(loop.LoopDevices):
    """Fails the test if a loop device is asked for."""

    def __init__(self):
        super().__init__(testing.FakeExecutor())

    def _run(self, *argv):
        raise AssertionError('losetup must not run: %s' % (argv,))


def lvm_provider(tmp_path, **replies):
    replies.setdefault('lvs', data('lvs-thick.json'))
    execute, driver = thick(**replies)
    provider = provider_mod.Provider(
        driver, NoLoops(), str(tmp_path),
        is_block=lambda path: path.startswith('/dev/%s/' % VG))
    return execute, provider


class TestLvmVolumes:

    def test_attach_prints_the_lv_and_activates_it(self, tmp_path):
        execute, provider = lvm_provider(tmp_path)
        out = provider.run(parse('attach'))
        assert out == '/dev/%s/vol-1\n' % VG
        assert ('lvm', 'lvchange', '--activate', 'y', VG + '/vol-1') in \
            execute.argvs()

    def test_userspace_access_adds_a_kvm_uri_line(self, tmp_path):
        _, provider = lvm_provider(tmp_path)
        out = provider.run(parse('attach', EXTP_ACCESS='userspace'))
        assert out == '/dev/%s/vol-1\nkvm:/dev/%s/vol-1\n' % (VG, VG)

    def test_other_access_modes_are_refused_before_create(self, tmp_path):
        execute, provider = lvm_provider(tmp_path)
        for action, env in (('create', {'VOL_SIZE': '4'}), ('verify', {}),
                            ('attach', {})):
            with pytest.raises(exception.InvalidValue) as caught:
                provider.run(parse(action, EXTP_ACCESS='kernel', **env))
            assert str(caught.value) == (
                "Invalid disk parameter access (EXTP_ACCESS) 'kernel'; "
                "allowed: kernelspace, userspace.")
        assert execute.argvs() == []

    def test_attach_does_not_check_the_pool(self, tmp_path):
        # Ganeti runs attach before every action: no vgs, one lvs.
        execute, provider = lvm_provider(tmp_path)
        provider.run(parse('attach'))
        commands = [argv[1] for argv in execute.argvs()]
        assert 'vgs' not in commands
        assert commands.count('lvs') == 1

    def test_detach_deactivates_without_losetup(self, tmp_path):
        execute, provider = lvm_provider(tmp_path)
        assert provider.run(parse('detach')) == ''
        assert execute.argvs()[-1][:4] == ('lvm', 'lvchange', '--activate',
                                           'n')

    def test_setinfo_open_close_verify(self, tmp_path):
        _, provider = lvm_provider(tmp_path)
        provider.run(parse('setinfo', VOL_METADATA='owner=inst1'))
        assert provider.metadata('vol-1') == 'owner=inst1'
        assert provider.metadata('vol-2') is None
        for action in ('open', 'close', 'verify'):
            assert provider.run(parse(action)) == ''
        missing = parse('setinfo', VOL_NAME='nosuch', VOL_METADATA='x')
        with pytest.raises(exception.VolumeNotFound):
            provider.run(missing)

    def test_unknown_disk_parameters_are_refused(self, tmp_path):
        _, provider = lvm_provider(tmp_path)
        with pytest.raises(exception.InvalidValue) as caught:
            provider.run(parse('create', VOL_SIZE='4', EXTP_SPEED='9'))
        assert "'speed'" in str(caught.value)
        assert 'allowed: pool' in str(caught.value)
        # ...but cleaning up never fails on them.
        provider.run(parse('detach', EXTP_SPEED='9'))


class FormatDriver:
    """Stands for a pool whose files are not raw."""

    name = 'qcow2'
    format = 'qcow2'
    pool = 'images'


def test_qcow2_and_vdi_pools_are_refused(tmp_path):
    provider = provider_mod.Provider(FormatDriver(), NoLoops(),
                                     str(tmp_path))
    for action, env in (('create', {'VOL_SIZE': '1'}), ('attach', {})):
        with pytest.raises(exception.InvalidValue) as caught:
            provider.run(parse(action, **env))
        assert str(caught.value) == (
            "Invalid pool images for Ganeti 'driver qcow2 (qcow2 files)'; "
            "allowed: a pool of raw volumes, which KVM can open as a block "
            "device: drivers raw, lvm and lvm-thin.")


class CommaDriver:
    """A raw file pool in a directory whose name has a comma."""

    name = 'raw'
    format = 'raw'
    pool = 'raw'
    path = '/srv/a,b'


def test_userspace_access_refuses_a_path_kvm_would_split(tmp_path):
    provider = provider_mod.Provider(CommaDriver(), NoLoops(),
                                     str(tmp_path))
    for action, env in (('create', {'VOL_SIZE': '1'}), ('verify', {})):
        with pytest.raises(exception.InvalidValue, match="without ','"):
            provider.run(parse(action, EXTP_ACCESS='userspace', **env))


def test_main_reports_errors_on_stderr(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    code = provider_mod.main(['--data-dir', str(tmp_path), 'attach'],
                             env=dict(BASE, VOL_NAME='nosuch'),
                             stdout=out, stderr=err)
    assert (code, out.getvalue()) == (3, '')
    assert err.getvalue() == ("brick attach nosuch: Volume 'nosuch' not "
                              "found in pool raw.\n")
    code = provider_mod.main(['--data-dir', str(tmp_path), 'create'],
                             env=dict(BASE, EXTP_POOL='qcow2',
                                      VOL_SIZE='1'), stdout=out, stderr=err)
    assert code == 2


LOSETUP = """{
   "loopdevices": [
      {"name": "/dev/loop0", "back-file": "/a (deleted)",
       "back-ino": 12, "back-maj:min": "   254:0  "},
      {"name": "/dev/loop1", "back-file": null, "back-ino": null,
       "back-maj:min": null}
   ]
}"""


def test_losetup_list_parsing():
    found = loop.parse_list(LOSETUP)
    assert found == [loop.LoopDevice('/dev/loop0', '/a (deleted)', 12,
                                     (254, 0)),
                     loop.LoopDevice('/dev/loop1', None, None, None)]
    assert loop.parse_list('') == []
    with pytest.raises(exception.MalformedOutput):
        loop.parse_list('{"devices": []}')


def test_loop_devices_match_by_inode(tmp_path):
    image = tmp_path / 'disk'
    image.write_bytes(b'')
    st = os.stat(image)
    listing = ('{"loopdevices": [{"name": "/dev/loop7", "back-file": '
               '"/elsewhere", "back-ino": %d, "back-maj:min": "%d:%d"}]}'
               % (st.st_ino, os.major(st.st_dev), os.minor(st.st_dev)))
    execute = testing.FakeExecutor(lambda argv, process_input=None: listing)
    devices = loop.LoopDevices(execute)
    assert devices.attach(image) == '/dev/loop7'
    assert execute.argvs() == [('losetup', '--list', '--json', '--output',
                                'NAME,BACK-FILE,BACK-INO,BACK-MAJ:MIN')]
    with pytest.raises(exception.NotFound):
        devices.find(tmp_path / 'nope')
    assert devices.detach(tmp_path / 'nope') == []


def test_install_writes_executable_scripts(tmp_path):
    target = tmp_path / 'brick'
    written = install.install(target, ['--pool', 'fast tier'],
                              python='/usr/bin/python3')
    assert sorted(os.listdir(target)) == sorted(
        list(environment.ACTIONS) + ['parameters.list'])
    assert len(written) == len(environment.ACTIONS) + 1
    attach = (target / 'attach').read_text()
    assert attach.splitlines()[-1] == (
        "exec /usr/bin/python3 -m brick.ganeti --pool 'fast tier' attach")
    assert stat.S_IMODE(os.stat(target / 'attach').st_mode) == 0o755
    assert (target / 'parameters.list').read_text().startswith('pool ')
    # again: rewritten in place
    install.install(target)
    assert '--pool' not in (target / 'attach').read_text()
    with pytest.raises(exception.InvalidValue) as caught:
        install.install(tmp_path / 'brick.v2')
    assert 'provider directory name' in str(caught.value)
