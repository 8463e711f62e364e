# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The executor runs real, harmless programs (sh, true, sleep) here."""

import os
import re
import signal
import time

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


def test_limits_bound_memory_and_cpu_of_a_command():
    # What qemu-img runs under on untrusted images (image_check): real
    # rlimits set by oslo.concurrency's prlimit, then the program exec'd.
    from oslo_concurrency import processutils
    run = executor.Executor()
    limits = processutils.ProcessLimits(address_space=256 << 20)
    assert run('sh', '-c', 'echo fits', limits=limits).stdout == 'fits\n'
    with pytest.raises(exception.CommandFailed, match='MemoryError'):
        run('python3', '-c', 'bytearray(512 << 20)', limits=limits)
    assert run.history[-1].argv == ('python3', '-c',
                                    'bytearray(512 << 20)')
    assert run.history[-1].limits is limits
    with pytest.raises(exception.CommandFailed) as err:
        run('sh', '-c', 'while :; do :; done',
            limits=processutils.ProcessLimits(cpu_time=1))
    assert err.value.kwargs['exit_code'] in (-signal.SIGKILL,
                                             -signal.SIGXCPU)
    with pytest.raises(exception.ToolNotFound, match='no-such-program'):
        run('no-such-program', limits=limits)


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
    assert _dies(pids[0])


# -- the direct (vfork) path: every command that needs no root helper ----

def _dies(pid):
    """Whether *pid* is dead within a few seconds: SIGKILL is delivered
    asynchronously, and a grandchild is not ours to wait for."""
    for _ in range(500):
        if not _alive(pid):
            return True
        time.sleep(0.01)
    return False


def _wait_for_file(path):
    """The pid a command wrote, once it has written it (bounded wait)."""
    for _ in range(500):
        if path.exists() and path.read_text().strip():
            return int(path.read_text())
        time.sleep(0.01)
    raise AssertionError('%s was never written' % path)


@pytest.mark.parametrize('script', [
    'sleep 30 & echo $! > "$0"; wait',         # the command itself hangs
    'sleep 30 & echo $! > "$0"',                # a child keeps the pipes
    'sleep 30 >/dev/null 2>&1 & echo $! > "$0"; exec >&- 2>&-; wait',
])                                              # the pipes close, no exit
def test_timeout_kills_the_whole_process_group(tmp_path, script):
    pidfile = tmp_path / 'pid'
    run = executor.Executor(timeout=1)
    with pytest.raises(exception.CommandTimeout, match='1 seconds'):
        run('sh', '-c', script, str(pidfile))
    assert _dies(_wait_for_file(pidfile))
    assert run.history[-1].exit_code is None


def test_timeout_stops_a_command_that_never_stops_talking():
    with pytest.raises(exception.CommandTimeout):
        executor.Executor()('sh', '-c', 'while :; do echo x; done',
                            timeout=1)


def test_an_exception_while_waiting_kills_the_group(tmp_path):
    # A terminal's Ctrl-C misses a command in its own group: brick kills it.
    pidfile = tmp_path / 'pid'

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 1)
    try:
        with pytest.raises(KeyboardInterrupt):
            executor.Executor()('sh', '-c', 'sleep 30 & echo $! > "$0"; wait',
                                str(pidfile))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert _dies(_wait_for_file(pidfile))


def test_commands_run_in_their_own_process_group():
    # /proc/self/stat after the name: state, ppid, pgrp, session.
    fields = executor.Executor()('cat', '/proc/self/stat').stdout
    pid = int(fields.split()[0])
    _, _, pgrp, session = fields.rsplit(')', 1)[1].split()[:4]
    assert int(pgrp) == pid
    assert int(session) == os.getsid(0)


def test_sigpipe_is_default_in_the_command():
    # Python ignores SIGPIPE; processutils' preexec_fn restored it, here
    # Popen's restore_signals does, without forcing a fork().
    status = executor.Executor()('cat', '/proc/self/status').stdout
    ignored = int(re.search(r'SigIgn:\s*(\w+)', status).group(1), 16)
    assert not ignored & (1 << (signal.SIGPIPE - 1))


@pytest.mark.parametrize('program', ['no-such-program', '/no/such/program'])
def test_missing_program_is_recorded_too(program):
    run = executor.Executor()
    with pytest.raises(exception.ToolNotFound, match='no.such.program'):
        run(program, '--version')
    assert run.count == 1
    assert run.history[-1].argv == (program, '--version')
    assert run.history[-1].exit_code is None


@pytest.mark.parametrize('data', ['text\n', b'bytes\x00\xff', b''])
def test_process_input_reaches_stdin(data):
    out = executor.Executor()('od', '-An', '-tx1', process_input=data).stdout
    raw = data.encode() if isinstance(data, str) else data
    assert bytes.fromhex(out) == raw


def test_large_input_and_output_do_not_deadlock():
    data = os.urandom(3 * 1024 * 1024).hex()  # several pipe buffers each way
    result = executor.Executor()('cat', process_input=data)
    assert result.stdout == data


def test_stdin_is_empty_without_input():
    # Not the caller's stdin: a command reading it must not wait for ever.
    assert executor.Executor(timeout=5)('cat').stdout == ''


def test_environment_keeps_the_callers_and_overrides_it(monkeypatch):
    monkeypatch.setenv('BRICK_TEST_INHERITED', 'yes')
    monkeypatch.setenv('LC_ALL', 'de_DE.UTF-8')
    out = executor.Executor()(
        'sh', '-c', 'echo $BRICK_TEST_INHERITED $LC_ALL').stdout
    assert out.split() == ['yes', 'C']


def test_secrets_are_masked_in_the_error():
    with pytest.raises(exception.CommandFailed) as err:
        executor.Executor()('sh', '-c', 'echo "password=hunter2" >&2; exit 4',
                            'sh', '--password', 'hunter2')
    assert 'hunter2' not in str(err.value)
    assert err.value.kwargs['stderr'] == 'password=***'
    assert err.value.kwargs['exit_code'] == 4


def test_undecodable_output_is_kept():
    out = executor.Executor()('printf', '\\377ok').stdout
    assert out == os.fsdecode(b'\xffok')


# -- the processutils path: root helper (privsep is the same call) -------

@pytest.fixture
def not_root(monkeypatch):
    """brick as an unprivileged user: run_as_root needs the root helper.

    processutils asks os.geteuid() too, so it really prefixes the helper.
    """
    monkeypatch.setattr(os, 'geteuid', lambda: 1000)


def test_root_helper_path_runs_through_processutils(not_root):
    run = executor.Executor(root_helper='env BRICK_VIA_HELPER=1')
    out = run('sh', '-c', 'echo $BRICK_VIA_HELPER $LC_ALL',
              run_as_root=True).stdout
    assert out.split() == ['1', 'C']
    assert run.history[-1].argv == ('sh', '-c',
                                    'echo $BRICK_VIA_HELPER $LC_ALL')


def test_root_needs_no_helper(monkeypatch):
    # As processutils does: already root, the helper is not used.
    monkeypatch.setattr(os, 'geteuid', lambda: 0)
    run = executor.Executor(root_helper='env BRICK_VIA_HELPER=1')
    out = run('sh', '-c', 'echo $BRICK_VIA_HELPER $LC_ALL',
              run_as_root=True).stdout
    assert out.split() == ['C']


def test_root_helper_path_translates_failure_and_timeout(not_root):
    run = executor.Executor(root_helper='env', timeout=1)
    with pytest.raises(exception.CommandFailed) as err:
        run('sh', '-c', 'echo broken >&2; exit 6', run_as_root=True)
    assert err.value.kwargs['exit_code'] == 6
    assert err.value.kwargs['stderr'] == 'broken'
    with pytest.raises(exception.CommandTimeout):
        run('sh', '-c', 'exec sleep 30', run_as_root=True)
    assert [r.exit_code for r in run.history] == [6, None]
