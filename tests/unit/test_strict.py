# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
import subprocess
import sys
import textwrap

import pytest


# tools/test runs the suite under pytest-xdist: the rule must hold in its
# workers too, whose reports the controller prints.
@pytest.mark.parametrize('xdist', [(), ('-n', '2')], ids=['serial', 'xdist'])
def test_strict_mode_turns_a_skip_into_a_failure(tmp_path, xdist):
    (tmp_path / 'conftest.py').write_text(
        'from tests.conftest import pytest_runtest_makereport  # noqa\n')
    (tmp_path / 'test_x.py').write_text(textwrap.dedent('''
        import pytest
        def test_skips():
            pytest.skip('component missing')
    '''))
    root = __file__.rsplit('/tests/', 1)[0]
    env = {'PYTHONPATH': root, 'BRICK_TEST_STRICT': '1', 'PATH': '/usr/bin'}
    run = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-p',
                          'no:cacheprovider', *xdist, str(tmp_path)],
                         capture_output=True, text=True, env=env,
                         cwd=tmp_path)
    assert run.returncode == 1, run.stdout
    assert 'component missing' in run.stdout
    assert '1 failed' in run.stdout
