# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The retry controller of the placement flow.

:class:`Reschedule` reverts a failed attempt and runs it again with the
failed hosts excluded, up to the configured number of attempts, and only
for failures another host may not have (:data:`RETRYABLE`); a request no
host can take (:class:`~brick.exception.NoValidHost`), bad input or a
missing boot handler fails at once.  Within an attempt,
:class:`~brick.workflow.tasks.CreateVolumesTask` walks the reserved
candidates itself (why: see that task).
"""

from taskflow import retry

from brick import exception

RETRYABLE = (exception.HostFailed, exception.InsufficientCapacity,
             exception.ConcurrentUpdate, exception.ReservationExpired)
"""Failures worth another attempt (a full pool is final for that pool,
not for the request: the next selection sees it full)."""


def failed_hosts(failure):
    """The hosts a taskflow ``Failure`` says to avoid (``HostFailed``'s
    ``args[1]``, which survives persistence), or ``[]``."""
    if not failure.check(exception.HostFailed):
        return []
    args = failure.exception_args
    if len(args) > 1 and isinstance(args[1], list | tuple):
        return [host for host in args[1] if isinstance(host, str)]
    return []


class Reschedule(retry.Retry):
    """Provides ``attempt``: ``{'number': n, 'exclude_hosts': [...]}``,
    the hosts named by every failure of the earlier attempts.

    :param attempts: how many attempts in all (at least 1).
    """

    def __init__(self, attempts, name='reschedule'):
        if isinstance(attempts, bool) or not isinstance(attempts, int) or \
                attempts < 1:
            raise exception.InvalidValue(
                field='[brick_workflow]attempts', value=attempts,
                allowed='an integer of at least 1')
        super().__init__(name=name, provides='attempt')
        self.attempts = attempts

    def execute(self, history, *args, **kwargs):
        excluded = set()
        for _name, failure in history.outcomes_iter():
            excluded.update(failed_hosts(failure))
        return {'number': len(history) + 1,
                'exclude_hosts': sorted(excluded)}

    def on_failure(self, history, *args, **kwargs):
        if len(history) >= self.attempts:
            return retry.REVERT
        _provided, outcomes = history[-1]
        if outcomes and all(failure.check(*RETRYABLE)
                            for failure in outcomes.values()):
            return retry.RETRY
        return retry.REVERT

    def revert(self, history, *args, **kwargs):
        """Nothing to undo: the attempt's tasks undo themselves."""
