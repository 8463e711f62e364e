# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The executor runs real, harmless programs (sh, true, sleep) here."""

import pytest

from brick import exception
from brick import testing
from brick.local import executor


def test_runs_an_argv_and_records_it():
    run = executor.Executor()
    result = run('sh', '-c', 'echo out; echo err >&2')
    assert result == executor.Result('out\n', 'err\n')
    assert run.count == 1
    assert run.history[-1].argv == ('sh', '-c', 'echo out; echo err >&2')
    assert run.history[-1].exit_code == 0


def test_no_shell_interprets_the_arguments(tmp_path):
    marker = tmp_path / 'pwned'
    result = executor.Executor()('echo', '$(touch %s); rm -rf /' % marker)
    assert result.stdout == '$(touch %s); rm -rf /\n' % marker
    assert not marker.exists()


def test_failure_names_command_exit_code_and_stderr():
    run = executor.Executor()
    with pytest.raises(exception.CommandFailed) as err:
        run('sh', '-c', 'echo "  Volume group vg0 not found" >&2; exit 5')
    assert err.value.kwargs['exit_code'] == 5
    assert 'Volume group vg0 not found' in str(err.value)
    assert "sh -c 'echo" in str(err.value)
    assert run.history[-1].exit_code == 5


def test_allowed_exit_codes():
    assert executor.Executor()('sh', '-c', 'exit 3',
                               check_exit_code=(0, 3)).stdout == ''


def test_missing_program_is_tool_not_found():
    with pytest.raises(exception.ToolNotFound, match='no-such-program'):
        executor.Executor()('no-such-program', '--version')


def test_timeout_kills_the_command():
    run = executor.Executor(timeout=1)
    with pytest.raises(exception.CommandTimeout, match='1 seconds'):
        run('sh', '-c', 'exec sleep 30')


@pytest.mark.parametrize('argv', [(), ('lvs', 3), (b'lvs',)])
def test_argv_must_be_strings(argv):
    with pytest.raises(exception.InvalidValue):
        executor.Executor()(*argv)


def test_environment_is_c_locale_plus_extras():
    run = executor.Executor(env={'LVM_SYSTEM_DIR': '/tmp/x'})
    out = run('sh', '-c', 'echo $LC_ALL $LVM_SYSTEM_DIR $EXTRA',
              env={'EXTRA': 'y'}).stdout
    assert out.split() == ['C', '/tmp/x', 'y']


LOCKED = '  Giving up waiting for lock.\n  Can\'t get lock for vg0.'


def test_lvm_lock_errors_are_retried_with_backoff():
    answers = iter([LOCKED, LOCKED, None])

    def lvm(argv, process_input=None):
        stderr = next(answers)
        if stderr:
            testing.fail(argv, exit_code=5, stderr=stderr)
        return 'done'

    run = testing.FakeExecutor(lvm, lock_retries=3)
    assert run('lvm', 'lvs', retry_on_lock=True).stdout == 'done'
    assert [r.attempts for r in run.history] == [1, 2, 3]
    assert [r.exit_code for r in run.history] == [5, 5, 0]


def test_lock_retries_are_bounded():
    def locked(argv, process_input=None):
        testing.fail(argv, exit_code=5, stderr=LOCKED)

    run = testing.FakeExecutor(locked, lock_retries=2)
    with pytest.raises(exception.CommandFailed, match='lock'):
        run('lvm', 'lvcreate', retry_on_lock=True)
    assert run.count == 3


def test_other_failures_and_unflagged_commands_are_not_retried():
    def broken(argv, process_input=None):
        testing.fail(argv, exit_code=5, stderr=LOCKED if argv[1] == 'x'
                     else 'Volume group "vg0" not found')

    run = testing.FakeExecutor(broken, lock_retries=3)
    with pytest.raises(exception.CommandFailed):
        run('lvm', 'lvs', retry_on_lock=True)
    with pytest.raises(exception.CommandFailed):
        run('lvm', 'x')
    assert run.count == 2


def test_root_helper_prefixes_root_commands_and_carries_the_env():
    # 'env' as the root helper shows the real argv without needing sudo.
    run = executor.Executor(root_helper='env')
    out = run('sh', '-c', 'echo $LC_ALL', run_as_root=True).stdout
    assert out == 'C\n'


def test_from_conf_reads_the_executor_group(conf):
    conf.set_override('command_timeout', 7, 'brick_executor')
    conf.set_override('lock_retries', 1, 'brick_executor')
    run = executor.Executor.from_conf(conf)
    assert (run.timeout, run.lock_retries) == (7, 1)


def test_stream_passes_progress_pieces():
    pieces = []
    result = executor.Executor().stream(
        'sh', '-c', 'printf "    (0.00/100%%)\\r    (50.00/100%%)\\r'
        '    (100.00/100%%)\\r\\n"', on_output=pieces.append)
    assert pieces == ['(0.00/100%)', '(50.00/100%)', '(100.00/100%)']
    assert result.stdout.count('\r') == 3


def test_stream_failure_and_timeout():
    run = executor.Executor()
    with pytest.raises(exception.CommandFailed, match='bad'):
        run.stream('sh', '-c', 'echo bad >&2; exit 2', on_output=print)
    with pytest.raises(exception.CommandTimeout):
        run.stream('sh', '-c', 'exec sleep 30', on_output=print, timeout=1)
    assert [r.exit_code for r in run.history] == [2, None]


def _alive(pid):
    try:
        with open('/proc/%d/status' % pid) as status:
            return 'State:\tZ' not in status.read()  # zombies are dead
    except FileNotFoundError:
        return False


def test_stream_timeout_kills_grandchildren_too():
    pids = []
    run = executor.Executor()
    with pytest.raises(exception.CommandTimeout):
        run.stream('sh', '-c', 'sleep 30 & echo $!; wait',
                   on_output=lambda pid: pids.append(int(pid)), timeout=1)
    assert len(pids) == 1
    assert not _alive(pids[0])
