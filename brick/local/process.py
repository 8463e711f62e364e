# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Waiting for a started command and killing it: the process plumbing
under :class:`brick.local.executor.Executor`'s fast path."""

import contextlib
import os
import select
import selectors
import signal
import subprocess
import time


def communicate(process, data, timeout):
    """:meth:`subprocess.Popen.communicate` without its wait loop.

    Given a timeout, ``communicate`` waits for the exit by polling
    ``waitpid`` with sleeps from 1 ms upwards, which adds about a
    millisecond to a command that takes a few.  Here the exit is one more
    event in the select loop: a pidfd, readable once the process has
    exited (Linux 5.3).  Without pidfds, ``wait`` polls as before.

    :param timeout: seconds, or None for no limit.
    :returns: stdout and stderr, bytes.
    :raises subprocess.TimeoutExpired: a pipe still open or the process
        still running after *timeout* seconds; it is left running.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    pipes = _Pipes(process, data)
    with contextlib.ExitStack() as stack:
        selector = stack.enter_context(selectors.DefaultSelector())
        for pipe in pipes.open:
            selector.register(pipe, selectors.EVENT_WRITE
                              if pipe is process.stdin
                              else selectors.EVENT_READ)
        pidfd = _pidfd_open(process.pid)
        if pidfd is not None:
            stack.callback(os.close, pidfd)
            selector.register(pidfd, selectors.EVENT_READ)
        running = pidfd is not None
        while pipes.open or running:
            remaining = _remaining(deadline)
            # select(0) would answer a chatty process for ever
            ready = selector.select(remaining) if remaining != 0 else ()
            if not ready:
                raise subprocess.TimeoutExpired(process.args, timeout)
            for key, _ in ready:
                if key.fileobj is pidfd:
                    running = False
                elif not pipes.transfer(key.fileobj):
                    continue
                selector.unregister(key.fileobj)
                if key.fileobj is process.stdin:
                    key.fileobj.close()
    # With a pidfd the process has exited: this wait does not poll.
    process.wait(None if pidfd is not None else _remaining(deadline))
    return pipes.stdout(), pipes.stderr()


class _Pipes:
    """A process's stdin, stdout and stderr pipes, for a select loop."""

    def __init__(self, process, data):
        self.process = process
        self.pending = memoryview(data or b'')
        self.output = {process.stdout: [], process.stderr: []}
        self.open = set(self.output)
        if process.stdin:
            self.open.add(process.stdin)

    def transfer(self, pipe):
        """Move one piece through *pipe*; True once *pipe* is finished."""
        if pipe is self.process.stdin:
            try:
                written = os.write(pipe.fileno(),
                                   self.pending[:select.PIPE_BUF])
            except BrokenPipeError:  # it stopped reading: its business
                written = len(self.pending)
            self.pending = self.pending[written:]
            finished = not self.pending
        else:
            piece = os.read(pipe.fileno(), 65536)
            self.output[pipe].append(piece)
            finished = not piece
        if finished:
            self.open.discard(pipe)
        return finished

    def stdout(self):
        return b''.join(self.output[self.process.stdout])

    def stderr(self):
        return b''.join(self.output[self.process.stderr])


def _pidfd_open(pid):
    """A pidfd for *pid*, or None where the kernel or Python has none."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):  # before Linux 5.3, or seccomp
        return None


def _remaining(deadline):
    return None if deadline is None else max(0, deadline - time.monotonic())


def kill_group(process):
    """SIGKILL the command and everything it started in its group."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # all of it has exited already
    process.wait()
