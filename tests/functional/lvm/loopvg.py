# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""A throwaway LVM volume group on a loop device, for tests and benchmarks.

::

    with loop_volume_group(size=256 * units.Mi) as vg:
        driver = vg.driver('lvm', volume_clear='none')
        driver.create('vol', 8 * units.Mi)

It makes a sparse file in a new temporary directory, attaches it with
``losetup --find --show``, and runs ``pvcreate``/``vgcreate`` for a VG
with a unique name.  Every lvm2 command sees only that loop device
(``--devices``) and a private ``LVM_SYSTEM_DIR``, so parallel runs stay
apart and the host's ``/etc/lvm`` is never read or written.

Two tiers (see /work/shared/TESTING.md): without a working device-mapper
(this host's kernel) the VG runs with ``activation = 0``, so LV metadata
changes but no device appears; with one (the QEMU guest) LVs activate.

On exit everything is removed, also when the body failed: LVs are
deactivated, then ``vgremove -f``, ``pvremove``, ``losetup -d`` and the
directory.  Only what this context created is touched.
"""

import contextlib
import dataclasses
import os
import secrets
import shutil
import tempfile

from brick import drivers
from brick import exception
from brick import units
from brick.local import executor as executor_module

NO_BACKUP = 'backup { backup = 0 archive = 0 }'
METADATA_ONLY = 'global { activation = 0 } ' + NO_BACKUP


def device_mapper_works():
    """True when the kernel has device-mapper (the device tier).

    Not the existence of ``/dev/mapper/control``: libdevmapper creates
    that node on any host as soon as an lvm2 command runs, even where the
    kernel has no device-mapper (opening it then fails with ENODEV).
    """
    return os.path.exists('/sys/class/misc/device-mapper')


@dataclasses.dataclass
class LoopVG:
    """What :func:`loop_volume_group` made."""

    name: str
    device: str
    image: str
    system_dir: str
    config: str
    activation: bool
    executor: executor_module.Executor

    def lvm(self, command, *args):
        """Run lvm subcommand *command* against this VG's device only,
        as an administrator would (out of band); returns stdout."""
        return self.executor('lvm', command, '--config', self.config,
                             '--devices', self.device, *args,
                             run_as_root=True).stdout

    def report(self):
        """``vgs`` and ``lvs -a`` JSON of this VG: the host's view."""
        fields = ('-o', 'lv_name,lv_size,lv_attr,segtype,pool_lv,origin,'
                  'lv_tags')
        return (self.lvm('vgs', '--reportformat', 'json', '--units', 'b',
                         '-o', 'vg_name,vg_size,vg_free,lv_count', self.name),
                self.lvm('lvs', '-a', '--reportformat', 'json', '--units',
                         'b', *fields, self.name))

    def driver_options(self):
        """Options that point a driver at this VG and nothing else."""
        return {'volume_group': self.name, 'lvm_config': self.config,
                'devices': [self.device]}

    def driver(self, name='lvm', **options):
        """Load driver *name* for this VG (``check()`` not yet called)."""
        return drivers.load(name, executor=self.executor, pool=self.name,
                            **self.driver_options(), **options)


@contextlib.contextmanager
def loop_volume_group(size=256 * units.Mi, activation=None,
                      prefix='brick-test', directory=None,
                      extent_size=None, name=None):
    """Create a VG on a loop device; remove all of it on exit.

    :param size: bytes of the sparse backing file.
    :param activation: False for the metadata tier, True to activate LVs;
        None picks True exactly when device-mapper works.
    :param prefix: start of the VG name (a random suffix follows).
    :param directory: where the temporary directory goes (default TMPDIR).
    :param extent_size: bytes per extent; LVM's default (4 MiB) if None.
    :param name: an exact VG name instead of *prefix* and a random suffix
        (LVM sees only the loop device, so it cannot clash).
    :returns: a context manager yielding a :class:`LoopVG`.
    """
    if activation is None:
        activation = device_mapper_works()
    workdir = tempfile.mkdtemp(prefix='brick-loopvg-', dir=directory)
    system_dir = os.path.join(workdir, 'lvm')
    os.mkdir(system_dir)
    env = {'LVM_SYSTEM_DIR': system_dir}
    if activation and not os.path.exists('/run/udev/control'):
        env['DM_DISABLE_UDEV'] = '1'  # no udev: lvm2 makes the nodes
    execute = executor_module.Executor(env=env, timeout=120)
    image = os.path.join(workdir, 'disk.img')
    with open(image, 'wb') as f:
        f.truncate(size)
    device = None
    vg = None
    try:
        device = execute('losetup', '--find', '--show', image,
                         run_as_root=True).stdout.strip()
        vg = LoopVG(name=name or '%s-%d-%s' % (prefix, os.getpid(),
                                               secrets.token_hex(3)),
                    device=device, image=image, system_dir=system_dir,
                    config=NO_BACKUP if activation else METADATA_ONLY,
                    activation=activation, executor=execute)
        vg.lvm('pvcreate', '--yes', device)
        extents = (('--physicalextentsize', '%db' % extent_size)
                   if extent_size else ())
        vg.lvm('vgcreate', *extents, vg.name, device)
        yield vg
    except BaseException:
        # Clean up, but let the body's error be the one reported.
        _teardown(execute, vg, device, workdir, strict=False)
        raise
    _teardown(execute, vg, device, workdir, strict=True)


def _teardown(execute, vg, device, workdir, strict):
    errors = []

    def attempt(*argv):
        try:
            execute(*argv, run_as_root=True)
        except exception.BrickException as err:
            errors.append(err)

    if vg is not None:
        common = ('--config', vg.config, '--devices', device)
        if vg.activation:
            attempt('lvm', 'vgchange', *common, '--activate', 'n', vg.name)
        attempt('lvm', 'vgremove', *common, '--force', '--yes', vg.name)
        attempt('lvm', 'pvremove', *common, '--yes', device)
    if device:
        attempt('losetup', '--detach', device)
    shutil.rmtree(workdir, ignore_errors=True)
    if errors and strict:
        raise errors[0]
