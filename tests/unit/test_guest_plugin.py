# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The device-tier plugin, without a guest: both of its sides for real.

A first pytest run plays the guest (``--guest-report``); a second plays the
host and reports from that file (``--guest-results``), as it would after
booting the guest.
"""

import json
import re
import subprocess
import sys

import pytest

ROOT = __file__.rsplit('/tests/', 1)[0]

TESTS = '''
import pytest

pytestmark = pytest.mark.device


@pytest.fixture
def only_in_the_guest(tmp_path):
    (tmp_path.parent.parent / 'fixture-ran').write_text('yes')


def test_passes(only_in_the_guest):
    pass


def test_fails():
    print('guest stdout')
    assert 1 == 2, 'broken in the guest'


def test_skips():
    pytest.skip('no thin pool here')


@pytest.mark.xfail(reason='known bug')
def test_xfails():
    assert False


@pytest.mark.parametrize('size', [1, 2])
def test_param(size):
    pass


def test_crashes():
    pass


@pytest.mark.skipif(True, reason='not a device test')
def test_selected_out():
    pass
'''


@pytest.fixture
def project(tmp_path):
    (tmp_path / 'pytest.ini').write_text(
        '[pytest]\naddopts = --strict-markers\nmarkers =\n    device: x\n')
    (tmp_path / 'conftest.py').write_text(
        "pytest_plugins = ['tests.functional.guest']\n"
        'from tests.conftest import pytest_runtest_makereport  # noqa\n')
    (tmp_path / 'test_dev.py').write_text(TESTS)
    (tmp_path / 'test_host.py').write_text(
        'def test_runs_on_the_host():\n    pass\n')
    return tmp_path


def pytest_run(project, *args, strict=False, path='/usr/bin:/bin',
               guest_dir=None):
    env = {'PYTHONPATH': ROOT, 'PATH': path,
           'PYTEST_DISABLE_PLUGIN_AUTOLOAD': '1'}
    if strict:
        env['BRICK_TEST_STRICT'] = '1'
    if guest_dir:
        env['BRICK_GUEST_DIR'] = str(guest_dir)
    run = subprocess.run([sys.executable, '-m', 'pytest', '-v', '-rA',
                          '-p', 'no:cacheprovider', *args],
                         capture_output=True, text=True, env=env,
                         cwd=project)
    outcomes = dict(re.findall(r'^(\S+::\S+) (PASSED|FAILED|SKIPPED|XFAIL'
                               r'|ERROR)', run.stdout, re.M))
    return run, outcomes


@pytest.fixture
def guest_results(project):
    """Run the device tests 'in the guest', minus test_crashes."""
    results = project / 'results.jsonl'
    pytest_run(project, '-m', 'device', '--guest-report', str(results),
               '--basetemp', str(project / 'guest-tmp'),
               '--deselect', 'test_dev.py::test_crashes')
    assert (project / 'fixture-ran').exists()
    (project / 'fixture-ran').unlink()
    return results


def test_the_guest_side_writes_one_record_per_outcome(guest_results):
    records = [json.loads(line)
               for line in guest_results.read_text().splitlines()]
    by_node = {r['nodeid']: r for r in records}
    assert by_node['test_dev.py::test_passes']['outcome'] == 'passed'
    failed = by_node['test_dev.py::test_fails']
    assert failed['outcome'] == 'failed'
    assert 'broken in the guest' in failed['text']
    assert 'guest stdout' in failed['text']
    assert by_node['test_dev.py::test_skips']['text'] == 'no thin pool here'
    assert by_node['test_dev.py::test_xfails']['wasxfail'] == 'known bug'
    assert 'test_dev.py::test_crashes' not in by_node


def test_the_host_reports_each_guest_outcome(project, guest_results):
    run, outcomes = pytest_run(project, '--guest-results', str(guest_results))
    assert outcomes == {
        'test_dev.py::test_passes': 'PASSED',
        'test_dev.py::test_fails': 'FAILED',
        'test_dev.py::test_skips': 'SKIPPED',
        'test_dev.py::test_xfails': 'XFAIL',
        'test_dev.py::test_param[1]': 'PASSED',
        'test_dev.py::test_param[2]': 'PASSED',
        'test_dev.py::test_crashes': 'FAILED',
        'test_dev.py::test_selected_out': 'SKIPPED',
        'test_host.py::test_runs_on_the_host': 'PASSED',
    }, run.stdout
    # The proxies set up none of the original fixtures.
    assert not (project / 'fixture-ran').exists()
    assert 'broken in the guest' in run.stdout
    assert 'guest stdout' in run.stdout
    assert 'no thin pool here' in run.stdout
    assert 'did not report test_dev.py::test_crashes' in run.stdout
    # The proxies run last, so that the host's tests run while the guest
    # works.
    assert list(outcomes)[0] == 'test_host.py::test_runs_on_the_host'


def test_strict_mode_fails_a_test_skipped_in_the_guest(project,
                                                       guest_results):
    run, outcomes = pytest_run(project, '--guest-results', str(guest_results),
                               '-k', 'skips', strict=True)
    assert outcomes == {'test_dev.py::test_skips': 'FAILED'}, run.stdout
    assert 'BRICK_TEST_STRICT=1' in run.stdout
    assert 'no thin pool here' in run.stdout


def test_deselected_device_tests_are_not_proxied(project, guest_results):
    run, outcomes = pytest_run(project, '--guest-results', str(guest_results),
                               '-m', 'not device')
    assert outcomes == {'test_host.py::test_runs_on_the_host': 'PASSED'}


def test_device_tests_skip_when_the_guest_cannot_be_built(project, tmp_path):
    # apt-get fails and nothing is installed: tools/guest/build exits 3.
    fakebin = tmp_path / 'fakebin'
    fakebin.mkdir()
    for tool, code in (('dpkg-query', 1), ('apt-get', 100)):
        (fakebin / tool).write_text('#!/bin/sh\nexit %d\n' % code)
        (fakebin / tool).chmod(0o755)
    path = '%s:/usr/bin:/bin' % fakebin
    run, outcomes = pytest_run(project, '-k', 'passes', path=path,
                               guest_dir=tmp_path / 'guest')
    assert outcomes == {'test_dev.py::test_passes': 'SKIPPED'}, run.stdout
    assert 'the LVM device tier cannot run here' in run.stdout
    assert 'qemu-system-x86' in run.stdout
    run, outcomes = pytest_run(project, '-k', 'passes', path=path,
                               guest_dir=tmp_path / 'guest', strict=True)
    assert outcomes == {'test_dev.py::test_passes': 'FAILED'}, run.stdout


def test_xdist_workers_share_one_guest_run(project, tmp_path):
    # Each tools/guest/build run logs its PID through the fake dpkg-query,
    # then exits 3 (nothing can be installed): a cheap stand-in for a boot.
    fakebin = tmp_path / 'fakebin'
    fakebin.mkdir()
    builds = tmp_path / 'builds'
    (fakebin / 'dpkg-query').write_text(
        '#!/bin/sh\necho $PPID >>%s\nexit 1\n' % builds)
    (fakebin / 'apt-get').write_text('#!/bin/sh\nexit 100\n')
    for tool in fakebin.iterdir():
        tool.chmod(0o755)
    device = {'test_dev.py::test_passes', 'test_dev.py::test_fails',
              'test_dev.py::test_skips', 'test_dev.py::test_xfails',
              'test_dev.py::test_param[1]', 'test_dev.py::test_param[2]',
              'test_dev.py::test_crashes', 'test_dev.py::test_selected_out'}
    for strict, outcome in ((False, 'SKIPPED'), (True, 'FAILED')):
        if builds.exists():
            builds.unlink()
        run, _ = pytest_run(project, '-p', 'xdist.plugin', '-n', '2',
                            path='%s:/usr/bin:/bin' % fakebin,
                            guest_dir=tmp_path / 'guest', strict=strict)
        outcomes = dict(
            (nodeid, result) for result, nodeid in re.findall(
                r'^\[gw\d\] \[...%\] (PASSED|FAILED|SKIPPED) (\S+::\S+)',
                run.stdout, re.M))
        assert outcomes == dict(
            {nodeid: outcome for nodeid in device},
            **{'test_host.py::test_runs_on_the_host': 'PASSED'}), run.stdout
        assert 'the LVM device tier cannot run here' in run.stdout
        assert len(set(builds.read_text().split())) == 1, 'one build only'
