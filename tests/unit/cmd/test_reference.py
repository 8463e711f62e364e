# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""doc/source/admin/cli.rst names every command and the real exit codes,
and ``brick ganeti install`` (tests/functional/test_ganeti.py runs the
scripts it writes)."""

import importlib.metadata
import os
import pathlib
import re

from brick import exit_codes
from brick.ganeti import environment
from tests.unit.cmd import run

PAGE = pathlib.Path(__file__).parents[3] / 'doc' / 'source' / 'admin' / \
    'cli.rst'


def test_the_reference_lists_every_command():
    text = PAGE.read_text()
    listed = set(re.findall(r'^``brick ([a-z ]+)``  ', text, re.MULTILINE))
    commands = {ep.name.replace('_', ' ') for ep in
                importlib.metadata.entry_points(group='brick.cli')}
    assert listed == commands


def test_the_exit_codes_are_those_of_the_code():
    text = PAGE.read_text()
    documented = [int(code) for code in re.findall(
        r'^(\d+) {2,}\S', text, re.MULTILINE)]
    assert documented == [code for code, _ in exit_codes.MEANINGS]


def test_ganeti_install_remembers_the_options(capsys, tmp_path,
                                              monkeypatch):
    monkeypatch.chdir(tmp_path)
    conf = tmp_path / 'brick.conf'
    conf.write_text('[brick]\n')
    done = run(capsys, '--config-file', 'brick.conf', '--data-dir', 'data',
               'ganeti', 'install', '--dir', 'ext/brick', '--pool', 'fast',
               '-f', 'json')
    written = [row['path'] for row in done.json()]
    provider = tmp_path / 'ext' / 'brick'
    assert written == [str(provider / name) for name in (
        *environment.ACTIONS, 'parameters.list')]
    line = (provider / 'grow').read_text().splitlines()[-1]
    assert line.endswith(
        '-m brick.ganeti --config-file %s --data-dir %s --pool fast grow'
        % (conf, tmp_path / 'data'))
    assert all(os.access(provider / action, os.X_OK)
               for action in environment.ACTIONS)
    bad = run(capsys, 'ganeti', 'install', '--dir', str(tmp_path / 'a.b'))
    assert bad.code == 2 and 'provider directory name' in bad.stderr
