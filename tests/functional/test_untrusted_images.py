# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Hostile images, crafted with the real qemu-img, imported the way an
operator would (``brick volume import``) and through a driver: each is
refused with exit code 2 and a message saying why, nothing is created,
and the ones the Python inspection catches never reach qemu-img."""

import struct
import subprocess

import pytest

from brick import drivers
from brick import exception
from brick.local import executor
from brick.local import image_check
from tests.conftest import brick_command
from tests.conftest import require_tool

MiB = 1 << 20


def qemu_img(*argv, cwd=None):
    subprocess.run(['qemu-img', *argv], check=True, capture_output=True,
                   cwd=cwd)


@pytest.fixture
def crafted(tmp_path):
    """name -> path of each hostile image."""
    require_tool('qemu-img')
    made = tmp_path / 'uploads'
    made.mkdir()
    # A backing file naming a host file (-u: do not open it to make this).
    qemu_img('create', '-q', '-u', '-f', 'qcow2', '-b', '/etc/shadow', '-F',
             'raw', str(made / 'backing.qcow2'), str(MiB))
    # An external data file.  qemu-img create would create (truncate!)
    # the data file it is given, so it is given a harmless name of the
    # same length, which is then replaced in the header extension.
    qemu_img('create', '-q', '-f', 'qcow2', '-o', 'data_file=shadow-copy',
             'data-file.qcow2', str(MiB), cwd=made)
    text = (made / 'data-file.qcow2').read_bytes()
    assert text.count(b'shadow-copy') == 1
    (made / 'data-file.qcow2').write_bytes(
        text.replace(b'shadow-copy', b'/etc/shadow'))
    # A vmdk descriptor whose flat extent is a host file.
    (made / 'descriptor.vmdk').write_text(
        '# Disk DescriptorFile\nversion=1\nCID=fffffffe\n'
        'parentCID=ffffffff\ncreateType="monolithicFlat"\n\n'
        'RW 2048 FLAT "/etc/shadow" 0\n\n'
        'ddb.virtualHWVersion = "4"\n')
    # A header claiming 1 EiB, with the L1 table of a 1 MiB image.
    qemu_img('create', '-q', '-f', 'qcow2', str(made / 'huge.qcow2'),
             str(MiB))
    with open(made / 'huge.qcow2', 'r+b') as image:
        image.seek(24)              # QCowHeader.size
        image.write(struct.pack('>Q', 1 << 60))
    # A qcow2 cut after 100 bytes of its header.
    qemu_img('create', '-q', '-f', 'qcow2', str(made / 'whole.qcow2'),
             str(MiB))
    (made / 'truncated.qcow2').write_bytes(
        (made / 'whole.qcow2').read_bytes()[:100])
    # A well-formed qcow2 of 1 PiB: legal, but no pool here holds it.
    qemu_img('create', '-q', '-f', 'qcow2', str(made / 'petabyte.qcow2'),
             '1P')
    return {path.stem: path for path in made.iterdir()}


# name, --image-format, what the message says; qemu-img never runs on the
# first four.
REFUSED = [
    ('backing', 'qcow2', 'fails the safety checks (backing_file: Image has '
     'a backing file)'),
    ('backing', None, 'backing_file: Image has a backing file'),
    ('backing', 'raw', 'backing_file: Image has a backing file'),
    ('data-file', 'qcow2', 'data_file: Image has data_file set'),
    ('descriptor', None, 'this vmdk image fails the safety checks '
     '(descriptor: Unsupported subformat)'),
    ('truncated', 'qcow2', 'an image whose content is the declared format '
     'qcow2; its content is raw (no image header brick knows)'),
    ('huge', 'qcow2', 'an image qemu-img can read as qcow2 within 1 GiB of '
     'address space and 30 s of CPU; it said: qemu-img: Could not open'),
]


@pytest.mark.parametrize('name,fmt,says', REFUSED,
                         ids=['%s-%s' % (case[0], case[1])
                              for case in REFUSED])
def test_a_driver_refuses_it_before_qemu_img_sees_it(tmp_path, crafted,
                                                     name, fmt, says):
    run = executor.Executor()
    driver = drivers.load('qcow2', executor=run, path=str(tmp_path / 'pool'))
    driver.check()
    with pytest.raises(exception.InvalidValue) as err:
        driver.import_image('vol', str(crafted[name]), fmt)
    assert says in str(err.value)
    assert driver.list() == []
    infos = [record for record in run.history if record.argv[1] == 'info']
    if name == 'huge':
        # qemu-img refused it, told the format and under the limits.
        assert [record.argv[3:5] for record in infos] == [('-f', 'qcow2')]
        assert infos[0].limits is image_check.QEMU_IMG_LIMITS
    else:
        assert infos == []


def _import(tmp_path, image, *options):
    return subprocess.run(
        [*brick_command(), '--data-dir', str(tmp_path / 'data'), 'volume',
         'import', 'vol', str(image), '--pool', 'qcow2', *options],
        capture_output=True, text=True, check=False, timeout=300)


def test_brick_volume_import_exits_2_and_creates_nothing(tmp_path,
                                                        crafted):
    for name, fmt, says in REFUSED:
        done = _import(tmp_path, crafted[name],
                       *(('--image-format', fmt) if fmt else ()))
        assert (done.returncode, done.stdout) == (2, ''), (name, done.stderr)
        assert done.stderr.startswith("brick: Invalid image to import '%s'"
                                      % crafted[name])
        assert says in done.stderr
    assert [path.name for path in (tmp_path / 'data' / 'pools' /
                                   'qcow2').iterdir()] == ['.brick']
    # Too large for the pool is a capacity answer (exit 4), not a hang.
    done = _import(tmp_path, crafted['petabyte'])
    assert done.returncode == 4, done.stderr
    assert 'Not enough space in pool qcow2 for 1125899906842624 bytes' in \
        done.stderr
    # The same upload, honest, goes in.
    done = _import(tmp_path, crafted['whole'], '--image-format', 'qcow2',
                   '-f', 'value', '-c', 'size')
    assert (done.returncode, done.stdout) == (0, '%d\n' % MiB), done.stderr
