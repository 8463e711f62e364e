# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The worked example of ``admin/simulate.rst``: its pictures are
reproducible byte for byte, and they are what the page's command
writes."""

import os
import pathlib
import subprocess
import sys

from tests.conftest import brick_command

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXT = ROOT / 'doc' / 'source' / '_ext'
sys.path.insert(0, str(EXT))
import brick_simulate_example  # noqa: E402

SCRIPT = """
import sys
sys.path.insert(0, %r)
import brick_simulate_example
brick_simulate_example.write(sys.argv[1])
"""


def test_example_figures_are_reproducible_and_what_the_command_writes(
        tmp_path):
    # What the docs build draws (in a process with its own hash seed)...
    env = dict(os.environ, PYTHONHASHSEED='7')
    subprocess.run([sys.executable, '-c', SCRIPT % str(EXT),
                    str(tmp_path / 'a')], env=env, check=True, cwd=ROOT)
    drawn = {path.name: path.read_bytes()
             for path in (tmp_path / 'a').iterdir()}
    assert set(drawn) == {'acceptance.png', 'heatmap-today.png',
                          'heatmap-pack.png', 'stranded.png', 'table.txt',
                          'stuck.txt'}
    # ...is what the command the page shows writes, byte for byte, in
    # another process with another hash seed.
    work = tmp_path / 'work'
    work.mkdir()
    for name in ('site.yaml', 'workload.yaml', 'configurations.yaml'):
        (work / name).write_bytes(
            (pathlib.Path(brick_simulate_example.EXAMPLE) / name)
            .read_bytes())
    done = subprocess.run(brick_command() + brick_simulate_example.ARGV,
                          cwd=work, check=True, capture_output=True,
                          env=dict(os.environ, PYTHONHASHSEED='11'))
    assert done.stdout == drawn['table.txt']
    for path in (work / 'figures').iterdir():
        assert path.read_bytes() == drawn[path.name], path.name
    assert (work / 'report.html').read_text().count('data:image/png') == 4
