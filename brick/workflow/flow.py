# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Building the placement flow: :func:`get_flow`."""

from taskflow.patterns import linear_flow

from brick import exception
from brick.workflow import retries
from brick.workflow import tasks

VERSION = 2
"""The shape of the flows :func:`get_flow` builds (its tasks, their
names and what they record), as recorded with every flow: a flow
recorded with another version is not resumed (see
:meth:`brick.workflow.runner.Runner.resume`).  Version 1 is the flows
of brick releases that kept their records in taskflow's own tables.
Bump it with any change a recorded flow could not resume across."""

KINDS = ('boot', 'volume')
"""``boot``: volumes for an instance, then the boot handler (compute
side); ``volume``: volumes only (volume side)."""


def get_flow(kind='boot', attempts=3, reserve_count=2):
    """Return the placement flow.

    Its inputs (the flow's store): ``request`` (``{'flavor', 'hints',
    'args'}`` as :func:`brick.scheduler.request.build` takes them),
    ``consumer``, ``volume_names`` (one per volume), ``flow_id``, and for
    ``boot`` ``handler`` and ``instance``; plus the transient
    ``services`` (:class:`~brick.workflow.services.Services`),
    ``resumed`` (whether the run resumes a recorded flow) and, optional,
    ``spec`` (the request's
    :class:`~brick.scheduler.request.RequestSpec`, if the caller built it
    already).  Its
    results: ``candidate`` (the chosen, reserved candidate), ``volumes``,
    ``allocations`` and for ``boot`` the handler's result, ``boot``.

    The arguments are plain values because taskflow records them with
    the flow and calls this function again to resume it.

    :param kind: one of :data:`KINDS`.
    :param attempts: whole-operation attempts
        (``[brick_workflow]attempts``).
    :param reserve_count: candidates reserved per attempt
        (``[brick_workflow]reserve_count``).
    :raises brick.exception.InvalidValue: a bad argument.
    """
    if kind not in KINDS:
        raise exception.InvalidValue(field='flow kind', value=kind,
                                     allowed=', '.join(KINDS))
    if isinstance(reserve_count, bool) or not isinstance(
            reserve_count, int) or reserve_count < 1:
        raise exception.InvalidValue(
            field='[brick_workflow]reserve_count', value=reserve_count,
            allowed='an integer of at least 1')
    flow = linear_flow.Flow('brick-%s' % kind,
                            retry=retries.Reschedule(attempts))
    flow.add(tasks.ReserveTask(reserve_count), tasks.CreateVolumesTask())
    if kind == 'boot':
        flow.add(tasks.BootInstanceTask())
    flow.add(tasks.CommitTask())
    return flow
