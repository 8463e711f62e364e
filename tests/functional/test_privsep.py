# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""brick's oslo.privsep daemon, for real: started as oslo.privsep starts
it for a root process (a forked daemon keeping only brick's capabilities),
driving real lvm2 on a loop device through the narrow entry points, and
refusing, inside the daemon, everything brick would not ask for."""

import json
import os

import pytest
from oslo_privsep import priv_context

from brick import drivers
from brick import exception
from brick import privileged
from brick import units
from brick.local import executor
from brick.privileged import operations
from tests import conftest
from tests.functional.lvm import loopvg

MiB = units.Mi


NOBODY = 65534


@pytest.fixture(scope='module')
def daemon():
    """The daemon, serving an unprivileged brick (uid 65534) as one
    started through sudo would: the daemon reads the caller's uid from
    ``SUDO_UID``, as :func:`brick.privileged.rules.caller_uid` does."""
    conftest.require_root('the privsep daemon forks from a root process')
    os.environ['SUDO_UID'] = str(NOBODY)
    try:
        privileged.default.start(method=priv_context.Method.FORK)
    finally:
        del os.environ['SUDO_UID']
    yield privileged.default
    privileged.default.stop()


@pytest.fixture
def vg(daemon):
    conftest.require_tool('lvm', 'losetup')
    with loopvg.loop_volume_group(activation=False) as vg:
        yield vg


def _loop_devices():
    out, _ = operations.loop_device(
        ['losetup', '--list', '--json', '--output', 'NAME'], {}, 30)
    return json.loads(out or '{"loopdevices": []}')['loopdevices']


def test_a_driver_runs_lvm_through_the_daemon(vg):
    run = executor.Executor(use_privsep=True,
                            env={'LVM_SYSTEM_DIR': vg.system_dir})
    driver = drivers.load('lvm', executor=run, pool=vg.name,
                          volume_clear='none', **vg.driver_options())
    driver.check()
    driver.create('vol-1', 8 * MiB)
    assert driver.extend('vol-1', 16 * MiB).size == 16 * MiB
    assert [v.name for v in driver.list()] == ['vol-1']
    driver.delete('vol-1')
    assert driver.list() == []
    assert {record.argv[1] for record in run.history} >= {
        'vgs', 'lvs', 'lvcreate', 'lvextend', 'lvremove'}
    assert 'vol-1' not in vg.report()[1]


def test_the_daemon_refuses_what_brick_would_not_ask(vg, tmp_path):
    env = {'LVM_SYSTEM_DIR': vg.system_dir}
    marker = tmp_path / 'pwned'
    hostile = [
        (operations.lv_create, ['sh', '-c', 'touch %s' % marker], env),
        (operations.lvm_report, ['lvm', 'vgs', '--config',
                                 'global { thin_check_executable = '
                                 '"/bin/touch" }', vg.name], env),
        (operations.lvm_report, ['lvm', 'vgs', vg.name],
         {'LVM_SYSTEM_DIR': str(tmp_path)}),          # not root's only
        (operations.lv_remove, ['lvm', 'vgremove', '-f', vg.name], env),
        (operations.loop_device, ['losetup', '--detach', '/dev/sda'], env),
        # As uid 65534: no writing root's directories, no reading
        # root's files into a volume.
        (operations.image_copy, ['qemu-img', 'convert', '-f', 'raw', '-O',
                                 'raw', '/dev/%s/x' % vg.name,
                                 '/etc/brick-exported'], env),
        (operations.image_copy, ['qemu-img', 'convert', '-f', 'raw', '-O',
                                 'raw', '-n', '/etc/shadow',
                                 '/dev/%s/x' % vg.name], env),
        (operations.loop_device, ['losetup', '--find', '--show', '--',
                                  '/etc/shadow'], env),
    ]
    os.chmod(tmp_path, 0o777)
    for entry, argv, environment in hostile:
        with pytest.raises(exception.InvalidValue, match='brick.privileged'):
            entry(argv, environment, 30)
    assert not marker.exists()
    assert not os.path.exists('/etc/brick-exported')
    assert vg.name in vg.report()[0]


def test_a_command_without_an_entry_point_does_not_run(vg, tmp_path):
    marker = tmp_path / 'pwned'
    run = executor.Executor(use_privsep=True)
    with pytest.raises(exception.NotSupported, match='through privsep'):
        run('sh', '-c', 'touch %s' % marker, run_as_root=True)
    assert not marker.exists()
    # ...while the entry point of an operation still answers.
    assert {'name': vg.device} in _loop_devices()
