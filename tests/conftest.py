# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Suite-wide rules.

* ``pytest`` alone runs unit tests and every real-component test whose
  tools are present; a test whose component is missing skips, saying why.
* Under ``BRICK_TEST_STRICT=1`` (set by ``.ci/run``) a skip is an error:
  CI must never pass because the real thing did not run.
"""

import os
import pathlib
import shutil
import sys

import pytest

pytest_plugins = ['tests.functional.guest']
STRICT = os.environ.get('BRICK_TEST_STRICT') == '1'


def require_tool(*tools):
    """Skip the calling test unless every program in *tools* is on PATH.

    :returns: the full path of the first tool.
    """
    paths = [shutil.which(tool) for tool in tools]
    missing = [tool for tool, path in zip(tools, paths, strict=True)
               if path is None]
    if missing:
        pytest.skip('needs %s on PATH (tools/setup-host installs it)'
                    % ', '.join(missing))
    return paths[0]


def brick_command():
    """argv of the installed ``brick`` console script, or ``python -m
    brick.cmd.cli`` when this interpreter has none."""
    script = pathlib.Path(sys.executable).with_name('brick')
    if script.exists():
        return [str(script)]
    return [sys.executable, '-m', 'brick.cmd.cli']


def require_root(reason):
    """Skip the calling test unless it runs as root."""
    if os.geteuid() != 0:
        pytest.skip('needs root: %s' % reason)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if STRICT and report.skipped and not hasattr(report, 'wasxfail'):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) \
            else str(report.longrepr)
        report.outcome = 'failed'
        report.longrepr = ('BRICK_TEST_STRICT=1: a skipped test is an error '
                           'in CI. Skip reason: %s' % reason)
