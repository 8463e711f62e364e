# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Reporting a flow's progress: to the log, and to a caller's callback.
"""

import dataclasses
from collections.abc import Callable
from typing import TypeAlias

from oslo_log import log as logging
from taskflow import states
from taskflow.listeners import base
from taskflow.listeners import logging as logging_listeners

LOG = logging.getLogger(__name__)
FAILURES = (states.FAILURE, states.REVERTED, states.RETRYING,
            states.REVERT_FAILURE)
"""The states the log shows above DEBUG (taskflow's failure level)."""


@dataclasses.dataclass(frozen=True)
class Event:
    """One state change of a flow or of one of its tasks and retries."""

    flow_id: str
    kind: str
    """``flow``, ``task`` or ``retry``."""
    name: str
    """The flow's, task's or retry controller's name."""
    state: str
    """taskflow's state: RUNNING, SUCCESS, FAILURE, REVERTING, REVERTED,
    RETRYING..."""


Callback: TypeAlias = Callable[[Event], object]
"""What takes progress events: ``callback(Event)``."""


class CallbackListener(base.Listener):
    """Calls ``callback(Event)`` on every state change.

    An exception in the callback is logged and never stops the flow.

    :param engine: the taskflow engine.
    :param callback: a callable taking an :class:`Event`.
    :param flow_id: the flow's id, for the events.
    """

    def __init__(self, engine, callback, flow_id):
        super().__init__(engine)  # listens for every state
        self._callback = callback
        self._flow_id = flow_id

    def _send(self, kind, name, state):
        try:
            self._callback(Event(self._flow_id, kind, name, state))
        except Exception:
            LOG.exception('The workflow listener callback failed on %s %s '
                          '%s', kind, name, state)

    def _flow_receiver(self, state, details):
        self._send('flow', details.get('flow_name'), state)

    def _task_receiver(self, state, details):
        self._send('task', details.get('task_name'), state)

    def _retry_receiver(self, state, details):
        self._send('retry', details.get('retry_name'), state)


def listeners(engine, flow_id, callback=None):
    """The listeners of a run: the log, and *callback* if given.

    Task failures are logged at INFO with their traceback: the retries
    handle them, and the caller gets the flow's final error anyway.
    """
    if LOG.isEnabledFor(logging.DEBUG):
        found = [logging_listeners.DynamicLoggingListener(
            engine, log=LOG, failure_level=logging.INFO)]
    elif LOG.isEnabledFor(logging.INFO):
        # Only what is logged above DEBUG: fewer callbacks per step.
        found = [logging_listeners.DynamicLoggingListener(
            engine, task_listen_for=FAILURES, retry_listen_for=FAILURES,
            flow_listen_for=FAILURES, log=LOG, failure_level=logging.INFO)]
    else:
        found = []  # it would log nothing
    if callback is not None:
        found.append(CallbackListener(engine, callback, flow_id))
    return found
