# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""brick.local.lvm against recorded lvm2 output.

The files in ``lvm_data/`` are what lvm2 2.03 printed on a loop device
(tests/functional/lvm/capture.py made them): ``vgs``/``lvs`` JSON and the
stderr of failing commands.
"""

import json
import pathlib

import pytest

from brick import exception
from brick import testing
from brick import units
from brick.local import lvm

DATA = pathlib.Path(__file__).parent / 'lvm_data'
VG = 'brick-capture'
RETRY_DEACTIVATION = ('--config', 'activation { retry_deactivation = 1 }')
REPORT = ('--reportformat', 'json', '--units', 'b', '--nosuffix')


def data(name):
    return (DATA / name).read_text()


ERRORS = {**json.loads(data('errors-metadata.json')),
          **json.loads(data('errors-device.json'))}


def answer(**by_command):
    """A handler: lvm subcommand -> stdout, or an ``ERRORS`` key wrapped
    in a one-element set to fail with that recorded stderr."""
    def handler(argv, process_input=None):
        reply = by_command.get(argv[1], '')
        if isinstance(reply, set):
            testing.fail(argv, 5, ERRORS[next(iter(reply))])
        return reply
    return handler


def make(handler=None, **kwargs):
    execute = testing.FakeExecutor(handler)
    return execute, lvm.LVM(execute, **kwargs)


def test_constructor_runs_nothing():
    execute, prims = make(config='global { activation = 0 }',
                          devices=['/dev/loop7'])
    assert execute.count == 0
    assert prims.devices == ('/dev/loop7',)


def test_argv_carries_config_and_devices():
    _, prims = make(config='devices { filter = [ "r|.*|" ] }',
                    devices=['/dev/loop7', '/dev/loop8'])
    assert prims.argv('lvs', 'vg0') == (
        'lvm', 'lvs', '--config', 'devices { filter = [ "r|.*|" ] }',
        '--devices', '/dev/loop7', '--devices', '/dev/loop8', 'vg0')
    _, plain = make()
    assert plain.argv('vgs') == ('lvm', 'vgs')


def test_vg_is_parsed_in_bytes_with_one_command():
    execute, prims = make(answer(vgs=data('vgs.json')))
    group = prims.vg(VG)
    assert group == lvm.VolumeGroup(
        name=VG, size=264241152, free=243269632, extent_size=4 * units.Mi,
        extent_count=63, free_extents=58, lv_count=2, pv_count=1, tags=())
    assert execute.argvs() == [
        ('lvm', 'vgs', *REPORT, '-o', ','.join(lvm.VG_FIELDS), VG)]


def test_thick_lvs_are_parsed():
    execute, prims = make(answer(lvs=data('lvs-thick.json')))
    admin, mine = prims.lvs(VG)
    assert (mine.name, mine.size, mine.tags) == ('vol-1', 8 * units.Mi,
                                                 ('brick',))
    assert (admin.name, admin.size, admin.tags) == ('admin-lv',
                                                    12 * units.Mi, ())
    assert mine.segtype == 'linear' and mine.path == '/dev/%s/vol-1' % VG
    assert mine.active is None  # "unknown" with activation off
    assert mine.created_at > 1.6e9
    assert not (mine.is_thin or mine.is_pool or mine.is_snapshot)
    assert execute.argvs()[0][-1] == VG
    prims.lvs(VG, 'vol-1', 'x')
    assert execute.argvs()[1][-2:] == (VG + '/vol-1', VG + '/x')


def test_thin_lvs_are_parsed():
    _, prims = make(answer(lvs=data('lvs-thin.json')))
    lvs = {lv.name: lv for lv in prims.lvs(VG)}
    pool = lvs['pool0']
    assert pool.is_thin_pool and pool.is_pool and not pool.is_thin
    assert pool.size == 128 * units.Mi and pool.active is True
    assert 0 < pool.data_percent < 100 and pool.metadata_percent > 0
    vol = lvs['vol-1']
    assert vol.is_thin and vol.pool_lv == 'pool0' and not vol.is_snapshot
    assert vol.data_percent == 12.5  # 2 MiB written of 16 MiB
    snap = lvs['vol-1..snap-1']
    assert snap.is_thin_snapshot and snap.origin == 'vol-1'
    assert snap.skips_activation and snap.active is False
    assert snap.data_percent is None
    assert snap.tags == ('brick-created=1', 'brick-snapshot')
    clone = lvs['clone-1']
    assert clone.is_thin_snapshot and not clone.skips_activation
    assert not lvs['thick-1'].is_thin


@pytest.mark.parametrize('stdout,reason', [
    ('', 'not JSON'),
    ('{"report": 5}', 'no "report" list'),
    ('{"report": [{"vg": []}]}', 'no "report" list with "lv" rows'),
    ('{"report": [{"lv": [7]}]}', 'not an object'),
    ('{"report": [{"lv": [{"lv_name": "x"}]}]}', 'without field(s)'),
])
def test_malformed_lvs_output(stdout, reason):
    _, prims = make(answer(lvs=stdout))
    with pytest.raises(exception.MalformedOutput) as err:
        prims.lvs(VG)
    assert reason in str(err.value) and 'lvm lvs' in str(err.value)


@pytest.mark.parametrize('field,value,reason', [
    ('lv_size', '8.00m', 'not a whole number of bytes'),
    ('data_percent', 'lots', 'not a percentage'),
    ('lv_attr', '-wi', 'not 10 characters'),
])
def test_unexpected_field_values(field, value, reason):
    report = json.loads(data('lvs-thick.json'))
    report['report'][0]['lv'][0][field] = value
    _, prims = make(answer(lvs=json.dumps(report)))
    with pytest.raises(exception.MalformedOutput) as err:
        prims.lvs(VG)
    assert reason in str(err.value) and repr(value) in str(err.value)


def test_vg_report_must_be_the_vg_asked_for():
    _, prims = make(answer(vgs=data('vgs.json')))
    with pytest.raises(exception.MalformedOutput) as err:
        prims.vg('other-vg')
    assert 'expected one row for VG other-vg' in str(err.value)


@pytest.mark.parametrize('case,command,call,expected', [
    ('vg_missing', 'vgs', lambda p: p.vg('no-such-vg'),
     exception.PoolNotFound),
    ('vg_missing', 'lvcreate', lambda p: p.create_lv('no-such-vg', 'x', 1),
     exception.PoolNotFound),
    ('pool_missing', 'lvcreate',
     lambda p: p.create_thin_lv(VG, 'nopool', 'x', 1),
     exception.PoolNotFound),
    ('lv_missing_lvs', 'lvs', lambda p: p.lv(VG, 'nope'),
     exception.VolumeNotFound),
    ('lv_missing_remove', 'lvremove', lambda p: p.remove_lv(VG, 'nope'),
     exception.VolumeNotFound),
    ('lv_missing_extend', 'lvextend',
     lambda p: p.extend_lv(VG, 'nope', 1), exception.VolumeNotFound),
    ('lv_missing_rename', 'lvrename',
     lambda p: p.rename_lv(VG, 'nope', 'x'), exception.VolumeNotFound),
    ('origin_missing', 'lvcreate',
     lambda p: p.create_thin_snapshot(VG, 'nope', 's'),
     exception.VolumeNotFound),
    ('exists', 'lvcreate', lambda p: p.create_lv(VG, 'vol-1', 8),
     exception.VolumeExists),
    ('busy_remove', 'lvremove', lambda p: p.remove_lv(VG, 'thick-1'),
     exception.VolumeBusy),
    ('busy_deactivate', 'lvchange', lambda p: p.deactivate(VG, 'thick-1'),
     exception.VolumeBusy),
])
def test_recorded_failures_become_brick_errors(case, command, call,
                                               expected):
    _, prims = make(answer(**{command: {case}}))
    with pytest.raises(expected) as err:
        call(prims)
    assert isinstance(err.value.__cause__, exception.CommandFailed)
    assert 'WARNING' not in str(err.value)


def test_other_failures_stay_command_failed():
    _, prims = make(answer(lvcreate={'same_size'}))
    with pytest.raises(exception.CommandFailed) as err:
        prims.create_lv(VG, 'x', 8)
    assert type(err.value) is exception.CommandFailed


def test_no_space_speaks_bytes_from_the_cached_extent_size():
    execute, prims = make(answer(vgs=data('vgs.json'),
                                 lvcreate={'no_space_create'},
                                 lvextend={'no_space_extend'}))
    prims.vg(VG)
    with pytest.raises(exception.InsufficientCapacity) as err:
        prims.create_lv(VG, 'huge', units.Gi)
    assert err.value.kwargs == {'pool': VG, 'requested': units.Gi,
                                'available': 58 * 4 * units.Mi}
    with pytest.raises(exception.InsufficientCapacity) as err:
        prims.extend_lv(VG, 'vol-1', units.Gi)
    assert err.value.kwargs['available'] == 58 * 4 * units.Mi
    assert execute.count == 3  # vgs once, no re-read on failure


def test_no_space_without_cache_reads_the_vg_once():
    execute, prims = make(answer(vgs=data('vgs.json'),
                                 lvcreate={'no_space_create'}))
    with pytest.raises(exception.InsufficientCapacity) as err:
        prims.create_lv(VG, 'huge', units.Gi)
    assert str(units.Gi) in str(err.value)
    assert [argv[1] for argv in execute.argvs()] == ['lvcreate', 'vgs']


def test_extend_to_the_same_size_and_smaller():
    _, prims = make(answer(lvextend={'same_size'}, vgs=data('vgs.json')))
    assert prims.extend_lv(VG, 'vol-1', 8 * units.Mi) is False
    _, prims = make(answer(lvextend={'smaller'}, vgs=data('vgs.json')))
    with pytest.raises(exception.InvalidSize) as err:
        prims.extend_lv(VG, 'vol-1', 4 * units.Mi)
    assert '8 MiB' in str(err.value) and 'shrink' in str(err.value)


def test_lock_contention_is_retried():
    calls = []

    def handler(argv, process_input=None):
        calls.append(argv)
        if len(calls) == 1:
            testing.fail(argv, 5, "  Giving up waiting for lock.\n"
                                  "  Can't get lock for vg0")
        return data('vgs.json')

    _, prims = make(handler)
    assert prims.vg(VG).name == VG
    assert len(calls) == 2


def test_create_argv():
    execute, prims = make()
    prims.create_lv(VG, 'a', 8 * units.Mi, tags=('brick', 't2'))
    prims.create_lv(VG, 'b', 4 * units.Mi, zero=False)
    prims.create_thin_pool(VG, 'pool0', 64 * units.Mi)
    prims.create_thin_lv(VG, 'pool0', 'c', 16 * units.Mi, tags=('brick',))
    prims.create_thin_snapshot(VG, 'c', 'c..s', tags=('brick-snapshot',))
    prims.create_thin_snapshot(VG, 'c', 'd', activation_skip=False)
    assert execute.argvs() == [
        ('lvm', 'lvcreate', '--yes', '--zero', 'y', '--wipesignatures', 'y',
         '--addtag', 'brick', '--addtag', 't2', '--name', 'a', '--size',
         '8388608b', VG),
        ('lvm', 'lvcreate', '--yes', '--zero', 'n', '--wipesignatures', 'n',
         '--name', 'b', '--size', '4194304b', VG),
        ('lvm', 'lvcreate', '--yes', '--type', 'thin-pool', '--name',
         'pool0', '--size', '67108864b', VG),
        ('lvm', 'lvcreate', '--yes', '--type', 'thin', '--addtag', 'brick',
         '--name', 'c', '--virtualsize', '16777216b', '--thinpool', 'pool0',
         VG),
        ('lvm', 'lvcreate', '--yes', '--snapshot', '--addtag',
         'brick-snapshot', '--setactivationskip', 'y', '--name', 'c..s',
         VG + '/c'),
        ('lvm', 'lvcreate', '--yes', '--snapshot', '--setactivationskip',
         'n', '--name', 'd', VG + '/c'),
    ]


def test_change_argv():
    execute, prims = make()
    prims.extend_lv(VG, 'a', 12 * units.Mi)
    prims.remove_lv(VG, 'a')
    prims.remove_selected(VG, 'lv_name="a"')
    prims.rename_lv(VG, 'a', 'b')
    prims.activate(VG, 'a')
    prims.activate(VG, 'a..s', ignore_skip=True)
    prims.deactivate(VG, 'a')
    prims.deactivate_selected(VG, 'lv_name="a"')
    prims.merge_snapshot(VG, 'a..s')
    assert execute.argvs() == [
        ('lvm', 'lvextend', '--size', '12582912b', VG + '/a'),
        ('lvm', 'lvremove', *RETRY_DEACTIVATION, '--yes', VG + '/a'),
        ('lvm', 'lvremove', *RETRY_DEACTIVATION, '--yes', '--select',
         'lv_name="a"', VG),
        ('lvm', 'lvrename', VG, 'a', 'b'),
        ('lvm', 'lvchange', '--activate', 'y', VG + '/a'),
        ('lvm', 'lvchange', '--activate', 'y', '--ignoreactivationskip',
         VG + '/a..s'),
        ('lvm', 'lvchange', '--activate', 'n', VG + '/a'),
        ('lvm', 'lvchange', '--activate', 'n', '--select', 'lv_name="a"',
         VG),
        ('lvm', 'lvconvert', '--merge', VG + '/a..s'),
    ]


def test_overlong_names_are_refused_before_running():
    execute, prims = make()
    with pytest.raises(exception.InvalidName) as err:
        prims.create_lv('v' * 60, 'x' * 65, units.Mi)
    assert 'at most 124 characters' in str(err.value)
    prims.create_lv('v' * 60, 'x' * 64, units.Mi)
    assert execute.count == 1


def test_select_regex_escapes_lvm_name_characters():
    assert lvm.select_regex('a+b.c-d_e..') == r'a\+b\.c-d_e\.\.'


# -- field hardening os-brick learned ------------------------------------

def test_reports_that_crash_are_run_again_changes_are_not():
    # lvm2 reports segfault under concurrent metadata changes (LP
    # #1901783): vgs/lvs exit 139 is retried; a change is not, since it
    # may have been half done.
    replies = [139, 139, data('vgs.json')]

    def handler(argv, process_input=None):
        reply = replies.pop(0) if argv[1] == 'vgs' else None
        if isinstance(reply, int) or argv[1] == 'lvcreate':
            testing.fail(argv, 139, 'Segmentation fault')
        return reply
    execute, prims = make(handler)
    execute.lock_retries = 3
    assert prims.vg(VG).name == VG
    assert [r.exit_code for r in execute.history] == [139, 139, 0]
    with pytest.raises(exception.CommandFailed, match='exit code 139'):
        prims.create_lv(VG, 'x', units.Mi)
    assert execute.history[-1].attempts == 1


def test_lvremove_retries_deactivation_then_settles_and_skips_suspended():
    # LP #1270192: lvremove races with udev; as os-brick's LVM.delete.
    replies = {'lvremove': [{'busy_remove'}, '']}

    def handler(argv, process_input=None):
        queue = replies.get(argv[1], [''])
        reply = queue.pop(0) if queue else ''
        if isinstance(reply, set):
            testing.fail(argv, 5, ERRORS[next(iter(reply))])
        return reply
    execute, prims = make(handler, config='global { activation = 0 }')
    prims.remove_lv(VG, 'thick-1')
    assert execute.argvs() == [
        ('lvm', 'lvremove', '--config', 'global { activation = 0 } '
         'activation { retry_deactivation = 1 }', '--yes', VG + '/thick-1'),
        ('udevadm', 'settle'),
        ('lvm', 'lvremove', '--config', 'global { activation = 0 } '
         'activation { retry_deactivation = 1 } devices { '
         'ignore_suspended_devices = 1 }', '--yes', VG + '/thick-1')]
    # A missing LV is final: no settle, no second try.
    execute, prims = make(answer(lvremove={'lv_missing_remove'}))
    with pytest.raises(exception.VolumeNotFound):
        prims.remove_lv(VG, 'nope')
    assert execute.count == 1
