# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Test doubles that embedders may use too.

:class:`FakeExecutor` subclasses the real
:class:`~brick.local.executor.Executor` and replaces only the steps that
start a process, so retries, history and error translation are the real
ones::

    def lvm(argv, process_input=None):
        if argv[:2] == ('lvm', 'vgs'):
            return VGS_JSON
        raise AssertionError('unexpected %s' % (argv,))

    execute = FakeExecutor(lvm)
    driver = drivers.load('lvm', executor=execute, volume_group='vg0')
    ...
    assert execute.argvs() == [('lvm', 'vgs', ...)]
"""

import re

from brick.local import executor


def fail(argv, exit_code=1, stderr='', stdout=''):
    """Raise what a real command failing with *exit_code* raises."""
    raise executor._failed(argv, exit_code, stderr, stdout)


class FakeExecutor(executor.Executor):
    """An executor whose commands are answered by *handler*.

    :param handler: called as ``handler(argv, process_input=...)`` with
        argv a tuple; returns stdout (str), or (stdout, stderr), or raises
        (see :func:`fail`).  None answers every command with no output.
    """

    def __init__(self, handler=None, **kwargs):
        kwargs.setdefault('lock_retry_interval', 0)
        super().__init__(**kwargs)
        self.handler = handler or (lambda argv, process_input=None: '')

    def _run(self, argv, run_as_root, check_exit_code, process_input, env,
             timeout, limits=None):
        # The limits are kept in the history (CommandRecord.limits).
        out = self.handler(tuple(argv), process_input=process_input)
        if isinstance(out, tuple):
            return executor.Result(*out)
        return executor.Result(out or '', '')

    def _stream(self, argv, on_output, run_as_root, env, timeout):
        """A streamed command (:meth:`Executor.stream`): the handler's
        stdout is passed on piece by piece, split where a real one's
        lines and ``\\r``-ended progress updates end."""
        result = self._run(argv, run_as_root, (0,), None, env, timeout)
        for piece in re.split(r'[\r\n]', result.stdout):
            if piece.strip():
                on_output(piece.strip())
        return result

    def argvs(self):
        """Every argv run so far, in order, as tuples."""
        return [record.argv for record in self.history]
