# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``brick volume import|export`` without qemu-img: the progress bar and
the refusal of drivers that cannot copy images (the real conversion is
tested in tests/functional/test_cli.py)."""

import io

from brick.cmd import image
from tests.unit.cmd import Capability
from tests.unit.cmd import MemoryDriver
from tests.unit.cmd import run


class CopyingDriver(MemoryDriver):
    """Imports by reporting progress and making an empty volume."""

    capabilities = MemoryDriver.capabilities | {Capability.COPY_IMAGE}

    def _import_image(self, name, source, source_format, progress):
        for percent in (0.0, 0.0, 50.0, 100.0):
            if progress is not None:
                progress(percent)
        return self._make(name, 1 << 20)

    def _export_image(self, name, target, target_format, progress):
        self._volume(name)
        if progress is not None:
            progress(100.0)


def node(**drivers):
    from brick.node import agent
    return agent.NodeAgent('memory', drivers)


def test_progress_bar_draws_changes_only():
    stream = io.StringIO()
    bar = image.ProgressBar(stream, 'copy')
    bar.close()
    assert stream.getvalue() == ''
    for percent in (0, 0, 33.33, 120):
        bar(percent)
    bar.close()
    assert stream.getvalue() == (
        '\rcopy [%s]   0.0%%' % ('-' * 30)
        + '\rcopy [%s%s]  33.3%%' % ('#' * 9, '-' * 21)
        + '\rcopy [%s] 100.0%%\n' % ('#' * 30))


def test_import_and_export_with_and_without_bar(capsys, tmp_path):
    pools = node(raw=CopyingDriver(pool='raw'))
    done = run(capsys, 'volume', 'import', 'v1', str(tmp_path / 'img'),
               '--progress', '-f', 'json', node=pools)
    assert done.json()['name'] == 'v1'
    assert done.stderr.endswith('] 100.0%\n')
    assert done.stderr.count('\r') == 3
    quiet = run(capsys, 'volume', 'import', 'v2', 'img', '-f', 'json',
                node=pools)
    assert (quiet.code, quiet.stderr) == (0, '')
    out = run(capsys, 'volume', 'export', 'v1', str(tmp_path / 'out'),
              '--no-progress', '-f', 'json', node=pools)
    assert out.json() == {'name': 'v1', 'pool': 'raw',
                          'target': str(tmp_path / 'out'), 'format': 'raw',
                          'size': 1 << 20}
    assert out.stderr == ''
    missing = run(capsys, 'volume', 'export', 'nosuch', 'out', node=pools)
    assert missing.code == 3


def test_a_driver_without_copy_image_exits_5(capsys):
    pools = node(raw=MemoryDriver(pool='raw'))
    done = run(capsys, 'volume', 'import', 'v1', 'img', node=pools)
    assert (done.code, done.stdout) == (5, '')
    assert 'image import' in done.stderr
    run(capsys, 'volume', 'create', 'v1', '--size', '1M', node=pools)
    assert run(capsys, 'volume', 'export', 'v1', 'out',
               node=pools).code == 5
