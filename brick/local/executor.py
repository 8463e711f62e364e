# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.

"""The one way brick runs an external program.

Every lvm2, qemu-img or losetup call goes through an :class:`Executor`:

* argv lists only; there is no shell anywhere in brick;
* commands that need root get ``[brick_executor]root_helper`` in front, or
  run through oslo.privsep when ``use_privsep`` is set, each through the
  entry point of its operation (:mod:`brick.privileged`);
* a timeout kills a command that hangs, with its whole process group
  (processutils leaves it running);
* an LVM command that failed only because another process held a lock is
  run again, a bounded number of times with exponential back-off;
* every command run is logged (passwords and secrets masked, as
  processutils does) and kept in :attr:`Executor.history`, so tests and
  benchmarks can count them;
* a failure becomes :class:`brick.exception.CommandFailed` carrying the
  command, exit code and stderr; a missing program becomes
  :class:`brick.exception.ToolNotFound`;
* a command on untrusted input can run under resource limits
  (``limits``, an :class:`oslo_concurrency.processutils.ProcessLimits`),
  set the way processutils sets them: ``python -m
  oslo_concurrency.prlimit`` sets them and execs the program.

How a command starts: one that needs a root helper or privsep
(``run_as_root=True`` while brick is not root, or with ``use_privsep``)
goes through ``oslo_concurrency.processutils.execute``, as it always did.
Every other one, which is every command when brick runs as root, starts
through :class:`subprocess.Popen` directly, with ``close_fds=True``,
``process_group=0`` and no ``preexec_fn``.  The reason is speed:
``processutils.execute`` always passes a ``preexec_fn`` (to reset SIGPIPE
in the child; no argument leaves it out), and a ``preexec_fn`` makes
CPython fork() instead of vfork().  fork copies the parent's page
tables: in a process that has imported taskflow and SQLAlchemy that is
2-3 ms per command at 60 MiB resident and ~7 ms at 400 MiB, against
~0.1 ms for vfork at any size (bench/README.md has the figures).  Nothing
is lost: Popen's default ``restore_signals=True`` resets SIGPIPE (and
SIGXFSZ) between vfork and exec.  Its own process group lets a timeout
kill the command's children too; it also keeps a terminal's Ctrl-C from
the command, so brick kills the group itself when interrupted.  A group,
not a new session (``start_new_session``): with the kernel's scheduler
autogroups each session is scheduled as a group of its own, and on a
busy host that made short commands measurably slower.  The wait for the
exit is a pidfd in the select loop (:mod:`brick.local.process`), not
``communicate(timeout=...)``'s sleep-and-poll loop, which cost another
millisecond.  Log lines, password masking and decoding
(``os.fsdecode``) are processutils' own.

Tests hand drivers a :class:`brick.testing.FakeExecutor` instead, which
subclasses this class and replaces only :meth:`Executor._run`.
"""

import collections
import dataclasses
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import typing
from collections.abc import Mapping
from typing import Any

from oslo_concurrency import processutils
from oslo_config import cfg
from oslo_log import log as logging
from oslo_utils import encodeutils
from oslo_utils import strutils

from brick import exception
from brick.local import process as process_mod

LOG = logging.getLogger(__name__)

# What lvm2 prints when another process holds the VG or global lock
# (lib/locking/file_locking.c, lib/locking/lvmlockd.c).
_LVM_LOCK_ERRORS = re.compile(
    r"can't get lock|failed to lock|giving up waiting for lock|"
    r"unable to obtain (global )?lock|lock .* busy|"
    r"resource temporarily unavailable",
    re.IGNORECASE)

# Keep program output parseable: lvm2 and qemu-img translate messages.
_BASE_ENV = {'LC_ALL': 'C', 'LVM_SUPPRESS_FD_WARNINGS': '1'}


@dataclasses.dataclass(frozen=True)
class CommandRecord:
    """One command that ran (or tried to)."""

    argv: tuple
    exit_code: int | None
    duration: float
    """Seconds, wall clock, for the last attempt."""
    attempts: int = 1
    limits: processutils.ProcessLimits | None = None
    """The resource limits it ran under, if any."""


@dataclasses.dataclass(frozen=True)
class Result:
    """What a command printed."""

    stdout: str
    stderr: str


class Executor:
    """Runs commands given as argv lists.

    The constructor only stores its arguments; nothing runs until called.

    :param root_helper: argv prefix (a string, split on spaces) for commands
        run with ``run_as_root=True``; empty when brick is root already.
    :param use_privsep: run root commands through the narrow entry
        points of :mod:`brick.privileged.operations` instead; a command
        that has none raises NotSupported.
    :param timeout: default seconds before a command is killed.
    :param lock_retries: how many more times an LVM lock failure is retried.
    :param lock_retry_interval: seconds before the first such retry.
    :param env: extra environment variables for every command, e.g.
        ``LVM_SYSTEM_DIR``.
    :param history_size: how many :class:`CommandRecord` to keep.
    """

    def __init__(self, root_helper: str = '', use_privsep: bool = False,
                 timeout: float = 600, lock_retries: int = 3,
                 lock_retry_interval: float = 0.5,
                 env: Mapping[str, str] | None = None,
                 history_size: int = 1000) -> None:
        self.root_helper = root_helper or ''
        self.use_privsep = use_privsep
        self.timeout = timeout
        self.lock_retries = lock_retries
        self.lock_retry_interval = lock_retry_interval
        self.env = dict(env or {})
        self.history: collections.deque[CommandRecord] = collections.deque(
            maxlen=history_size)
        self.count = 0
        """Commands run since this executor was made (attempts included)."""

    @classmethod
    def from_conf(cls, conf: cfg.ConfigOpts, **kwargs: Any) -> 'Executor':
        """Build an executor from ``[brick_executor]`` options.

        :param conf: a ``ConfigOpts`` with brick's options registered.
        :param kwargs: overrides, e.g. ``env``.
        """
        group = conf.brick_executor
        options = dict(root_helper=group.root_helper,
                       use_privsep=group.use_privsep,
                       timeout=group.command_timeout,
                       lock_retries=group.lock_retries,
                       lock_retry_interval=group.lock_retry_interval)
        options.update(kwargs)
        return cls(**options)

    def __call__(self, *argv: str, run_as_root: bool = False,
                 check_exit_code: typing.Sequence[int] = (0,),
                 process_input: bytes | str | None = None,
                 env: typing.Mapping[str, str] | None = None,
                 timeout: float | None = None, retry_on_lock: bool = False,
                 retry_on_exit: typing.Sequence[int] = (),
                 limits: processutils.ProcessLimits | None = None
                 ) -> Result:
        """Run *argv* and return its output.

        :param argv: the program and its arguments, each a ``str``.
        :param run_as_root: prefix the root helper (or use privsep).
        :param check_exit_code: exit codes that count as success.
        :param process_input: bytes or str written to stdin.
        :param env: extra environment variables for this command.
        :param timeout: seconds, overriding the executor's default.
        :param retry_on_lock: retry LVM lock failures (for lvm2 commands).
        :param retry_on_exit: exit codes to retry as lock failures are,
            e.g. 139 for lvm2 reports that crash under concurrent changes
            (https://launchpad.net/bugs/1901783).
        :param limits: resource limits, a
            :class:`~oslo_concurrency.processutils.ProcessLimits`, for a
            command reading untrusted input; a command killed by one
            fails with a negative exit code (the signal).
        :returns: a :class:`Result`.
        :raises brick.exception.CommandFailed: non-zero exit.
        :raises brick.exception.CommandTimeout: the command hung.
        :raises brick.exception.ToolNotFound: the program does not exist.
        """
        if not argv or not all(isinstance(arg, str) for arg in argv):
            raise exception.InvalidValue(
                field='command', value=argv,
                allowed='a non-empty argv of strings')
        timeout = timeout or self.timeout
        retries = self.lock_retries if retry_on_lock or retry_on_exit else 0
        merged_env = dict(_BASE_ENV, **self.env, **(env or {}))
        delay = self.lock_retry_interval
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._timed(argv, attempt, run_as_root=run_as_root,
                                   check_exit_code=check_exit_code,
                                   process_input=process_input,
                                   env=merged_env, timeout=timeout,
                                   limits=limits)
            except exception.CommandFailed as err:
                locked = retry_on_lock and _LVM_LOCK_ERRORS.search(
                    err.kwargs['stderr'] or '')
                crashed = err.kwargs['exit_code'] in retry_on_exit
                if not (locked or crashed) or attempt > retries:
                    raise
                LOG.info('%s %s (attempt %d of %d); retrying in %.2fs',
                         argv[0], 'hit an LVM lock' if locked else
                         'exited with %s' % err.kwargs['exit_code'],
                         attempt, retries + 1, delay)
                time.sleep(delay)
                delay *= 2

    def stream(self, *argv: str, on_output: typing.Callable[[str], object],
               run_as_root: bool = False,
               env: typing.Mapping[str, str] | None = None,
               timeout: float | None = None) -> Result:
        """Run *argv*, passing each piece of its stdout to *on_output*.

        For long commands that report progress, such as ``qemu-img
        convert -p``, which ends each update with a carriage return.
        processutils returns output only at exit, so this one method uses
        :mod:`subprocess` directly, with the same argv-only rule, root
        helper, timeout, history and error translation as :meth:`__call__`.

        :param on_output: called with each line or ``\\r``-ended piece.
        :returns: a :class:`Result` with all of stdout and stderr.
        :raises brick.exception.CommandFailed: non-zero exit.
        :raises brick.exception.CommandTimeout: the command hung.
        """
        if run_as_root and self.use_privsep:
            raise exception.NotSupported(
                driver='executor', operation='streamed commands via privsep',
                capabilities='root_helper')
        timeout = timeout or self.timeout
        merged_env = dict(_BASE_ENV, **self.env, **(env or {}))
        return self._timed(argv, 1, streaming=on_output,
                           run_as_root=run_as_root, env=merged_env,
                           timeout=timeout)

    def _timed(self, argv, attempt, **kwargs):
        start = time.monotonic()
        exit_code = None
        limits = kwargs.get('limits')
        try:
            streaming = kwargs.pop('streaming', None)
            if streaming:
                result = self._stream(argv, streaming, **kwargs)
            else:
                result = self._run(argv, **kwargs)
            exit_code = 0
            return result
        except exception.CommandFailed as err:
            exit_code = err.kwargs['exit_code']
            raise
        finally:
            self.count += 1
            self.history.append(CommandRecord(
                argv=tuple(argv), exit_code=exit_code,
                duration=time.monotonic() - start, attempts=attempt,
                limits=limits))

    def _run(self, argv, run_as_root, check_exit_code, process_input, env,
             timeout, limits=None):
        """Run one attempt.  The only method a fake needs to replace."""
        if run_as_root and (self.use_privsep or os.geteuid() != 0):
            return self._run_privileged(argv, check_exit_code, process_input,
                                        env, timeout, limits)
        return self._spawn(argv, check_exit_code, process_input, env,
                           timeout, limits)

    def _spawn(self, argv, check_exit_code, process_input, env, timeout,
               limits=None):
        """Run *argv* without a preexec_fn, so CPython can vfork (see the
        module docstring); in its own process group, so a timeout kills
        what it started too."""
        logical = argv
        if limits is not None:
            argv = _limited(argv, limits)
        shown = strutils.mask_password(' '.join(argv))
        LOG.debug('Running cmd (subprocess): %s', shown)
        if process_input is not None:
            process_input = encodeutils.to_utf8(process_input)
        start = time.monotonic()
        process = _start(argv, env, subprocess.DEVNULL
                         if process_input is None else subprocess.PIPE)
        with process:  # closes the pipes and reaps the process
            try:
                out, errors = process_mod.communicate(
                    process, process_input, timeout)
            except subprocess.TimeoutExpired as err:
                LOG.debug('CMD "%s" reached timeout in %0.3fs', shown,
                          time.monotonic() - start)
                process_mod.kill_group(process)
                raise exception.CommandTimeout(cmd=_shown(argv),
                                               timeout=timeout) from err
            except BaseException:
                # Ctrl-C or a signal handler's exception: the command is in
                # its own process group, the terminal's SIGINT missed it.
                process_mod.kill_group(process)
                raise
        LOG.debug('CMD "%s" returned: %s in %0.3fs', shown,
                  process.returncode, time.monotonic() - start)
        stdout, stderr = os.fsdecode(out), os.fsdecode(errors)
        if process.returncode not in check_exit_code:
            LOG.debug('%r failed. Not Retrying.', shown)
            raise _failed(logical, process.returncode, stderr, stdout)
        return Result(stdout, stderr)

    def _run_privileged(self, argv, check_exit_code, process_input, env,
                        timeout, limits=None):
        """Through processutils: the root helper or privsep."""
        processes = []
        kwargs = {'check_exit_code': list(check_exit_code),
                  'process_input': process_input,
                  'env_variables': dict(os.environ, **env),
                  'timeout': timeout}
        if limits is not None:
            kwargs['prlimit'] = limits
        if self.use_privsep:
            # Only embedders using privsep pay for importing it.
            from brick.privileged import operations
            entry = operations.route(argv)
            if entry is None or process_input is not None or limits or \
                    tuple(check_exit_code) != (0,):
                raise exception.NotSupported(
                    driver='executor', operation='%s through privsep'
                    % _shown(argv[:2]), capabilities='the operations of '
                    'brick.privileged.operations')

            def execute(*argv, **ignored):
                # The daemon checks argv and env; it gets brick's own
                # environment only, not this process's.
                return entry(list(argv), dict(env), timeout)
        else:
            execute = processutils.execute
            kwargs.update(run_as_root=True, root_helper=self.root_helper,
                          on_execute=processes.append)
            if self.root_helper:
                argv = _with_env(env, argv)
        try:
            stdout, stderr = execute(*argv, **kwargs)
        except subprocess.TimeoutExpired as err:
            # Not the group: the command runs as root, in brick's group.
            for process in processes:
                process.kill()
                process.wait()
            raise exception.CommandTimeout(cmd=_shown(argv),
                                           timeout=timeout) from err
        except processutils.ProcessExecutionError as err:
            raise _failed(argv, err.exit_code, err.stderr,
                          err.stdout) from err
        except FileNotFoundError as err:
            raise exception.ToolNotFound(tool=argv[0],
                                         purpose=_shown(argv)) from err
        return Result(stdout, stderr)

    def _stream(self, argv, on_output, run_as_root, env, timeout):
        if run_as_root and self.root_helper and os.geteuid() != 0:
            # as in _run: root needs no helper
            argv = (*self.root_helper.split(), *_with_env(env, argv))
        process = _start(argv, env, subprocess.DEVNULL)
        # A silent, hung program never returns from read(): a timer kills
        # it.  stderr is drained by a thread so a chatty one cannot block.
        timed_out = threading.Event()

        def kill():
            timed_out.set()
            # The whole group: a child of the command would keep the pipe
            # open after the command itself died.
            process_mod.kill_group(process)

        killer = threading.Timer(timeout, kill)
        errors = []
        drain = threading.Thread(
            target=lambda: errors.append(process.stderr.read()), daemon=True)
        killer.start()
        drain.start()
        out, piece = [], b''
        with process:
            for char in iter(lambda: process.stdout.read(1), b''):
                piece += char
                if char in (b'\r', b'\n'):
                    text = piece.decode(errors='replace')
                    out.append(text)
                    if text.strip():
                        on_output(text.strip())
                    piece = b''
            process.wait()
            killer.cancel()
            drain.join()
        if timed_out.is_set():
            raise exception.CommandTimeout(cmd=_shown(argv), timeout=timeout)
        stdout = ''.join(out) + piece.decode(errors='replace')
        stderr = b''.join(errors).decode(errors='replace')
        if process.returncode != 0:
            raise _failed(argv, process.returncode, stderr, stdout)
        return Result(stdout, stderr)


def _start(argv, env, stdin):
    """Start *argv* the one way brick does (see the module docstring):
    no ``preexec_fn``, so CPython can vfork; in its own process group.

    :raises brick.exception.ToolNotFound: the program does not exist.
    """
    try:
        return subprocess.Popen(
            argv, stdin=stdin, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=dict(os.environ, **env),
            close_fds=True, process_group=0)
    except FileNotFoundError as err:
        LOG.debug('%r failed. Not Retrying.', _shown(argv))
        raise exception.ToolNotFound(tool=argv[0],
                                     purpose=_shown(argv)) from err


def _limited(argv, limits):
    """*argv* run under *limits*, as processutils runs it (``python -m
    oslo_concurrency.prlimit --as=... -- argv``).

    :raises brick.exception.ToolNotFound: the program does not exist
        (prlimit would only say it failed to execute it).
    """
    if shutil.which(argv[0]) is None:
        raise exception.ToolNotFound(tool=argv[0], purpose=_shown(argv))
    return (sys.executable, '-m', 'oslo_concurrency.prlimit',
            *limits.prlimit_args(), '--', *argv)


def _with_env(env, argv):
    """``env K=V... argv``: sudo and rootwrap reset the environment, so
    a root helper's command gets brick's on its command line, as
    os-brick does."""
    return ('env', *('%s=%s' % item for item in env.items()), *argv)


def _failed(argv, exit_code, stderr, stdout):
    """The CommandFailed of *argv*, its output's secrets masked."""
    return exception.CommandFailed(
        cmd=_shown(argv), exit_code=exit_code,
        stderr=strutils.mask_password(stderr or '').strip()
        or '(no output)',
        stdout=strutils.mask_password(stdout or ''))


def _shown(argv):
    """*argv* for an error message: quoted, passwords masked."""
    return strutils.mask_password(_quote(argv))


def _quote(argv):
    """Show an argv the way a reader would type it (for messages only)."""
    return ' '.join(arg if arg and re.fullmatch(r'[\w@%+=:,./-]+', arg)
                    else repr(arg) for arg in argv)
