# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""QemuImg against a fake executor fed with real qemu-img 7.2 output
(tests/unit/data/README.md says how each file was captured)."""

import pathlib

import pytest

from brick import exception
from brick import testing
from brick.local import image_check
from brick.local import qemu_img

DATA = pathlib.Path(__file__).parent.parent / 'data'


def data(name):
    # newline='': keep qemu-img's carriage returns as they were printed.
    with open(DATA / name, newline='') as f:
        return f.read()


def answering(**outputs):
    """A handler answering ``qemu-img <verb>`` with outputs[verb]."""
    def handler(argv, process_input=None):
        out = outputs.get(argv[1], '')
        if isinstance(out, Exception):
            raise out
        return out
    return handler


def qemu(handler=None):
    run = testing.FakeExecutor(handler)
    return run, qemu_img.QemuImg(run)


# -- parsing -----------------------------------------------------------------

def test_info_qcow2():
    info = qemu_img.ImageInfo.from_json(data('qemu-img-info-qcow2.json'))
    assert (info.format, info.virtual_size, info.cluster_size) == (
        'qcow2', 1 << 30, 65536)
    assert info.actual_size == 200704
    assert (info.backing_file, info.data_file, info.snapshots) == (
        None, None, ())
    assert info.dirty is False


def test_info_backing_file_stays_relative():
    info = qemu_img.ImageInfo.from_json(
        data('qemu-img-info-qcow2-backing.json'))
    assert info.backing_file == 'plain.qcow2'
    assert info.backing_format == 'qcow2'


def test_info_snapshots():
    info = qemu_img.ImageInfo.from_json(
        data('qemu-img-info-qcow2-snapshots.json'))
    assert [(s.id, s.name) for s in info.snapshots] == [
        ('1', 'before-upgrade'), ('2', 'nightly')]
    assert all(s.date > 1.6e9 for s in info.snapshots)


def test_info_data_file():
    info = qemu_img.ImageInfo.from_json(
        data('qemu-img-info-qcow2-data-file.json'))
    assert info.data_file == '/var/lib/brick/pools/qcow2/ext.raw'


def test_info_vdi_rounds_to_sectors_and_raw():
    vdi = qemu_img.ImageInfo.from_json(data('qemu-img-info-vdi.json'))
    assert (vdi.format, vdi.virtual_size, vdi.cluster_size) == (
        'vdi', 1000448, 1 << 20)
    raw = qemu_img.ImageInfo.from_json(data('qemu-img-info-raw.json'))
    assert (raw.format, raw.virtual_size, raw.cluster_size) == (
        'raw', 10 << 20, None)


@pytest.mark.parametrize('text', [
    '', 'qemu-img: Could not open', '[]', '{"format": "qcow2"}',
    '{"filename": "x", "format": "qcow2", "virtual-size": "1G"}',
    '{"filename": "x", "format": "qcow2", "virtual-size": true}',
    '{"filename": "x", "format": 7, "virtual-size": 1}',
    '{"filename": "x", "format": "qcow2", "virtual-size": 1, '
    '"snapshots": [{"name": "s"}]}',
    data('qemu-img-info-qcow2.json')[:100],
], ids=repr)
def test_malformed_info(text):
    run, img = qemu(answering(info=text))
    with pytest.raises(exception.MalformedOutput) as err:
        img.info('/pool/vol', 'qcow2')
    assert 'qemu-img info' in str(err.value)


def test_parse_progress():
    out = data('qemu-img-convert-progress.stdout')
    values = [qemu_img.parse_progress(p) for p in out.split('\r')]
    values = [v for v in values if v is not None]
    assert values[0] == 0.0 and values[-1] == 100.0
    assert values == sorted(values) and len(values) > 5
    assert qemu_img.parse_progress('Formatting x') is None


# -- argv ------------------------------------------------------------------

def test_create_qcow2_with_options():
    run, img = qemu()
    img.create('/pool/vol', 'qcow2', 1 << 30, preallocation='falloc',
               cluster_size=1 << 20)
    assert run.argvs() == [(
        'qemu-img', 'create', '-q', '-f', 'qcow2',
        '-o', 'preallocation=falloc,cluster_size=1048576',
        '/pool/vol', str(1 << 30))]


def test_create_overlay_names_the_backing_format():
    run, img = qemu()
    img.create('/pool/child', 'qcow2', None, backing='base',
               backing_format='qcow2')
    assert run.argvs() == [('qemu-img', 'create', '-q', '-f', 'qcow2',
                            '-b', 'base', '-F', 'qcow2', '/pool/child')]


@pytest.mark.parametrize('kwargs', [
    {'backing': 'base'},                       # qemu would probe it
    {'backing': 'base', 'backing_format': 'vmdk'},
    {'backing_format': 'qcow2'},
    {'fmt': 'qcow'}, {'fmt': None}, {'size': -1}, {'size': True},
    {'size': 1.5}, {'size': '1G'},
], ids=repr)
def test_create_refuses_before_running(kwargs):
    run, img = qemu()
    args = {'path': '/pool/x', 'fmt': 'qcow2', 'size': 1 << 20}
    args.update(kwargs)
    with pytest.raises(exception.InvalidInput):
        img.create(**args)
    assert run.count == 0


@pytest.mark.parametrize('path, arg', [
    ('-f', './-f'), ('nbd:localhost:10809', './nbd:localhost:10809'),
    ('json:{"x":1}', './json:{"x":1}'), ('/pool/a:b', '/pool/a:b'),
    ('rel/a:b', 'rel/a:b'),
])
def test_paths_never_read_as_options_or_protocols(path, arg):
    run, img = qemu(answering(info=data('qemu-img-info-raw.json')))
    img.info(path, 'raw')
    assert run.argvs()[-1][-1] == arg


def test_info_names_the_format_and_shares_locks():
    run, img = qemu(answering(info=data('qemu-img-info-qcow2.json')))
    img.info('/pool/vol', 'qcow2')
    img.info('/pool/vol', 'qcow2', force_share=False)
    assert run.argvs() == [
        ('qemu-img', 'info', '--output=json', '-f', 'qcow2', '-U',
         '/pool/vol'),
        ('qemu-img', 'info', '--output=json', '-f', 'qcow2', '/pool/vol')]
    with pytest.raises(exception.InvalidValue):
        img.info('/pool/vol', '-U')


def test_info_of_a_file_in_another_format_fails_with_qemus_words():
    stderr = data('qemu-img-info-not-qcow2.stderr')
    run, img = qemu(lambda argv, process_input=None:
                    testing.fail(argv, 1, stderr))
    with pytest.raises(exception.CommandFailed) as err:
        img.info('/pool/r.raw', 'qcow2')
    assert 'Image is not in qcow2 format' in str(err.value)


def test_resize_argv_and_real_errors():
    run, img = qemu()
    img.resize('/pool/vol', 2 << 30, 'qcow2', preallocation='falloc')
    img.resize('/pool/vol', 1 << 30, 'qcow2', shrink=True)
    assert run.argvs() == [
        ('qemu-img', 'resize', '-q', '-f', 'qcow2', '--preallocation=falloc',
         '/pool/vol', str(2 << 30)),
        ('qemu-img', 'resize', '-q', '-f', 'qcow2', '--shrink', '/pool/vol',
         str(1 << 30))]
    for name in ('qemu-img-resize-vdi.stderr',
                 'qemu-img-resize-shrink-without-flag.stderr',
                 'qemu-img-resize-shrink-preallocated.stderr'):
        stderr = data(name)
        run, img = qemu(lambda argv, process_input=None, e=stderr:
                        testing.fail(argv, 1, e))
        with pytest.raises(exception.CommandFailed) as err:
            img.resize('/pool/vol', 1 << 20, 'vdi')
        assert stderr.splitlines()[0].split(': ', 1)[1] in str(err.value)


def test_convert_argv():
    run, img = qemu()
    img.convert('/pool/a', '/pool/b', 'qcow2', 'vdi', target_exists=True)
    img.convert('/in.vmdk', '/pool/b', 'vmdk', 'qcow2',
                options={'cluster_size': 65536, 'preallocation': None})
    assert run.argvs() == [
        ('qemu-img', 'convert', '-f', 'qcow2', '-O', 'vdi', '-n', '/pool/a',
         '/pool/b'),
        ('qemu-img', 'convert', '-f', 'vmdk', '-O', 'qcow2', '-o',
         'cluster_size=65536', '/in.vmdk', '/pool/b')]
    with pytest.raises(exception.InvalidValue):
        img.convert('/a', '/b', 'raw', 'vmdk')    # brick writes 3 formats


def test_convert_into_a_zero_target_skips_zeros():
    run, img = qemu()
    img.convert('/pool/a', '/pool/b', 'vdi', 'vdi', target_exists=True,
                target_is_zero=True)
    assert run.argvs() == [('qemu-img', 'convert', '-f', 'vdi', '-O', 'vdi',
                            '-n', '--target-is-zero', '/pool/a', '/pool/b')]
    with pytest.raises(exception.InvalidValue, match='target_is_zero'):
        img.convert('/pool/a', '/pool/c', 'vdi', 'vdi', target_is_zero=True)
    assert len(run.argvs()) == 1


def test_convert_with_progress_streams_percentages():
    progress = data('qemu-img-convert-progress.stdout')
    run = testing.FakeExecutor(lambda argv, process_input=None: progress)
    img = qemu_img.QemuImg(run)
    seen = []
    img.convert('/in.raw', '/pool/vol', 'raw', 'qcow2', progress=seen.append)
    assert run.argvs() == [('qemu-img', 'convert', '-f', 'raw', '-O',
                            'qcow2', '-p', '/in.raw', '/pool/vol')]
    assert seen[0] == 0.0 and seen[-1] == 100.0 and seen == sorted(seen)


def test_snapshots_pin_the_format_with_image_opts():
    run, img = qemu(answering(
        info=data('qemu-img-info-qcow2-snapshots.json')))
    img.snapshot_create('/pool/a,b', 'nightly')
    img.snapshot_apply('/pool/vol', 'nightly')
    img.snapshot_delete('/pool/vol', 'nightly')
    names = [s.name for s in img.snapshot_list('/pool/vol')]
    assert names == ['before-upgrade', 'nightly']
    opts = 'driver=qcow2,file.driver=file,file.filename=/pool/vol'
    assert run.argvs() == [
        ('qemu-img', 'snapshot', '-q', '-c', 'nightly', '--image-opts',
         'driver=qcow2,file.driver=file,file.filename=/pool/a,,b'),
        ('qemu-img', 'snapshot', '-q', '-a', 'nightly', '--image-opts', opts),
        ('qemu-img', 'snapshot', '-q', '-d', 'nightly', '--image-opts', opts),
        ('qemu-img', 'info', '--output=json', '-f', 'qcow2', '-U',
         '/pool/vol')]


@pytest.mark.parametrize('name', ['1', '42', 'a b', '../x', ''])
def test_snapshot_names_that_qemu_would_misread(name):
    run, img = qemu()
    with pytest.raises(exception.InvalidName) as err:
        img.snapshot_apply('/pool/vol', name)
    assert 'snapshot name' in str(err.value)
    assert run.count == 0


def test_missing_snapshot_is_qemus_error():
    stderr = data('qemu-img-snapshot-apply-missing.stderr')
    run, img = qemu(lambda argv, process_input=None:
                    testing.fail(argv, 1, stderr))
    with pytest.raises(exception.CommandFailed) as err:
        img.snapshot_apply('/pool/vol', 'nope')
    assert "Could not apply snapshot 'nope'" in str(err.value)


def test_inspect_untrusted_checks_what_qemu_img_says_too(tmp_path):
    # The Python inspection (tests/functional/test_images.py) comes first;
    # then qemu-img, told the format and limited, must agree with it and
    # name no other file.  Here the content is plain raw bytes and a fake
    # qemu-img answers as a hostile or confused one would.
    image = tmp_path / 'upload'
    image.write_bytes(b'x' * 512)
    for name, says in (
            ('qemu-img-info-qcow2-backing.json', 'refers to plain.qcow2'),
            ('qemu-img-info-qcow2-data-file.json',
             'refers to /var/lib/brick/pools/qcow2/ext.raw'),
            ('qemu-img-info-vmdk-flat.json',
             'refers to extent files flat-flat.vmdk'),
            ('qemu-img-info-qcow2.json',
             'refers to nothing, but qemu-img reads it as qcow2')):
        run, img = qemu(answering(info=data(name)))
        with pytest.raises(exception.InvalidValue) as err:
            img.inspect_untrusted(str(image))
        assert 'a self-contained image; this one %s' % says in \
            str(err.value)
        assert run.argvs() == [('qemu-img', 'info', '--output=json', '-f',
                                'raw', '-U', str(image))]
        assert run.history[0].limits is image_check.QEMU_IMG_LIMITS
    run, img = qemu(answering(info=data('qemu-img-info-raw.json')))
    assert img.inspect_untrusted(str(image), 'raw').format == 'raw'
    with pytest.raises(exception.InvalidValue, match='regular file'):
        img.inspect_untrusted(str(tmp_path / 'missing'))
    with pytest.raises(exception.InvalidValue, match='declared format '
                       'qcow2; its content is raw'):
        img.inspect_untrusted(str(image), 'qcow2')
    assert run.count == 1


def test_qemu_img_killed_at_its_limits_is_a_refusal(tmp_path):
    image = tmp_path / 'upload'
    image.write_bytes(b'x' * 512)
    run, img = qemu(lambda argv, process_input=None: testing.fail(argv, -9))
    with pytest.raises(exception.InvalidValue) as err:
        img.inspect_untrusted(str(image))
    assert str(err.value).endswith(
        'allowed: an image qemu-img can read as raw within 1 GiB of address '
        'space and 30 s of CPU; it was killed at its limits.')


def test_version():
    run, img = qemu(answering(**{'--version': (
        'qemu-img version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\n'
        'Copyright (c) 2003-2022 Fabrice Bellard and the QEMU Project '
        'developers\n')}))
    assert img.version() == '7.2.22'
    run, img = qemu(answering(**{'--version': 'garbage'}))
    with pytest.raises(exception.MalformedOutput):
        img.version()
