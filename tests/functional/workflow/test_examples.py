# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Every example runs, as the README and the user guide show it."""

import os
import subprocess
import sys

import pytest

from tests import conftest as suite

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


def run(name, *args):
    suite.require_tool('qemu-img')
    done = subprocess.run(
        [sys.executable, os.path.join(ROOT, 'examples', name), *args],
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize('name', ['compute_service.py', 'volume_service.py'])
def test_example_runs(name, tmp_path):
    out = run(name, '--data-dir', str(tmp_path))
    assert ' -> host host' in out
    assert os.path.isfile(tmp_path / 'brick.sqlite')


def test_demo_runs_twice_on_one_data_dir(tmp_path):
    first = run('demo.py', '--data-dir', str(tmp_path))
    assert 'usage check: ok' in first
    assert 'vm-huge refused' in first
    second = run('demo.py', '--data-dir', str(tmp_path))
    assert 'usage check: ok' in second


def test_demo_defaults_to_a_temporary_directory():
    out = run('demo.py')
    path = out.split('site in ', 1)[1].split(':', 1)[0]
    assert not os.path.exists(path)
