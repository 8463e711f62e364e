# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Record real lvm2 output for the unit tests' FakeExecutor.

    python -m tests.functional.lvm.capture tests/unit/local/lvm_data

On the host (metadata tier) it writes ``vgs.json``, ``lvs-thick.json``,
``lvs-empty.json`` and ``errors-metadata.json``; in the QEMU guest
(``tools/guest/run -- .venv/bin/python -m tests.functional.lvm.capture
DIR``) it writes ``lvs-thin.json`` and ``errors-device.json``.  Each file
is exactly what lvm2 printed (errors: stderr keyed by case), for VG
``brick-capture`` on a 256 MiB loop device with 4 MiB extents.
"""

import json
import os
import sys

from brick import exception
from brick import units
from brick.local import lvm
from tests.functional.lvm import loopvg

VG = 'brick-capture'


def stderr_of(call):
    try:
        call()
    except exception.CommandFailed as err:
        return err.kwargs['stderr']
    raise AssertionError('expected a failure')


def report(prims, command, *targets):
    fields = lvm.VG_FIELDS if command == 'vgs' else lvm.LV_FIELDS
    # brick's own report options, so the files are what brick would read
    return prims.executor(*prims.argv(
        command, *lvm._REPORT, '-o', ','.join(fields), *targets),
        run_as_root=True).stdout


def metadata(vg, out):
    raw = lvm.LVM(vg.executor, config=vg.config, devices=[vg.device])
    files = {'lvs-empty.json': report(raw, 'lvs', VG)}
    vg.lvm('lvcreate', '--yes', '-Zn', '--addtag', 'brick', '--name',
           'vol-1', '--size', '8m', VG)
    vg.lvm('lvcreate', '--yes', '-Zn', '--name', 'admin-lv', '--size',
           '12m', VG)
    files['vgs.json'] = report(raw, 'vgs', VG)
    files['lvs-thick.json'] = report(raw, 'lvs', VG)
    run = raw.executor
    base = raw.argv

    def fail(*args):
        return lambda: run(*base(*args), run_as_root=True)
    errors = {
        'vg_missing': stderr_of(fail('vgs', 'no-such-vg')),
        'lv_missing_lvs': stderr_of(fail('lvs', VG + '/nope')),
        'lv_missing_remove': stderr_of(fail('lvremove', '--yes',
                                            VG + '/nope')),
        'lv_missing_extend': stderr_of(fail('lvextend', '--size', '16m',
                                            VG + '/nope')),
        'lv_missing_rename': stderr_of(fail('lvrename', VG, 'nope', 'x')),
        'exists': stderr_of(fail('lvcreate', '--yes', '-Zn', '--name',
                                 'vol-1', '--size', '8m', VG)),
        'no_space_create': stderr_of(fail(
            'lvcreate', '--yes', '-Zn', '--name', 'huge', '--size',
            '%db' % units.Gi, VG)),
        'no_space_extend': stderr_of(fail(
            'lvextend', '--size', '%db' % units.Gi, VG + '/vol-1')),
        'same_size': stderr_of(fail('lvextend', '--size', '8m',
                                    VG + '/vol-1')),
        'smaller': stderr_of(fail('lvextend', '--size', '4m',
                                  VG + '/vol-1')),
        'origin_missing': stderr_of(fail('lvcreate', '--yes', '--snapshot',
                                         '--name', 's', VG + '/nope')),
    }
    files['errors-metadata.json'] = json.dumps(errors, indent=1) + '\n'
    return files


def device(vg, out):
    raw = lvm.LVM(vg.executor, config=vg.config, devices=[vg.device])
    raw.create_lv(VG, 'thick-1', 8 * units.Mi, tags=('brick',))
    raw.create_thin_pool(VG, 'pool0', 128 * units.Mi)
    raw.create_thin_lv(VG, 'pool0', 'vol-1', 16 * units.Mi, tags=('brick',))
    raw.create_thin_lv(VG, 'pool0', 'admin-thin', 32 * units.Mi)
    vg.executor('dd', 'if=/dev/zero', 'of=/dev/%s/vol-1' % VG, 'bs=1M',
                'count=2', 'oflag=direct', run_as_root=True)
    raw.create_thin_snapshot(VG, 'vol-1', 'vol-1..snap-1',
                             tags=('brick-snapshot', 'brick-created=1'))
    raw.create_thin_snapshot(VG, 'vol-1', 'clone-1', tags=('brick',),
                             activation_skip=False)
    files = {'lvs-thin.json': report(raw, 'lvs', VG)}
    run, base = raw.executor, raw.argv

    def fail(*args):
        return lambda: run(*base(*args), run_as_root=True)
    with open('/dev/%s/thick-1' % VG, 'rb'):
        errors = {
            'busy_remove': stderr_of(fail('lvremove', '--yes',
                                          VG + '/thick-1')),
            'busy_deactivate': stderr_of(fail('lvchange', '--activate', 'n',
                                              VG + '/thick-1')),
        }
    errors['pool_missing'] = stderr_of(fail(
        'lvcreate', '--yes', '--type', 'thin', '--name', 'x',
        '--virtualsize', '8m', '--thinpool', 'nopool', VG))
    files['errors-device.json'] = json.dumps(errors, indent=1) + '\n'
    return files


def main(out):
    with loopvg.loop_volume_group(name=VG) as vg:
        files = (device if vg.activation else metadata)(vg, out)
    os.makedirs(out, exist_ok=True)
    for name, text in files.items():
        with open(os.path.join(out, name), 'w') as f:
            f.write(text)
        print('wrote', os.path.join(out, name))


if __name__ == '__main__':
    main(sys.argv[1])
