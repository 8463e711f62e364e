# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The placement workflow, on taskflow.

::

    request (flavor extra specs | explicit size | hints)
      -> ReserveTask               rank the candidates (or NoValidHost),
                                   reserve the best X, each atomically
      -> CreateVolumesTask         every volume on its node, or none, on
                                   the first reserved candidate that can
      -> BootInstanceTask          the caller's boot handler (compute side)
      -> CommitTask                reservation -> allocation; others freed
    all under [Reschedule retry]   the whole operation again, without the
                                   hosts that failed, up to N attempts

Modules: :mod:`~brick.workflow.tasks` (the tasks, each side effect with a
revert), :mod:`~brick.workflow.retries` (the retry controller),
:mod:`~brick.workflow.flow` (:func:`~brick.workflow.flow.get_flow`),
:mod:`~brick.workflow.handlers` (boot handlers by name, so a resumed flow
finds its callable again), :mod:`~brick.workflow.services` (what tasks
use at run time, never persisted), :mod:`~brick.workflow.listeners`,
:mod:`~brick.workflow.backend` (flow records through taskflow's
persistence interface), :mod:`~brick.workflow.checkpoint` (when they are
written), :mod:`~brick.workflow.persistence` (one record per flow),
:mod:`~brick.workflow.ownership` (which process runs a flow),
:mod:`~brick.workflow.runner` (run and resume),
:mod:`~brick.workflow.jobs` and :mod:`~brick.workflow.conductor`
(placements as jobs on a taskflow jobboard, run by ``brick-conductor``),
:mod:`~brick.workflow.nodes` (the nodes a conductor reaches) and
:mod:`~brick.workflow.volumes` (delete, extend and snapshot of placed
volumes).  Services import :mod:`brick.api`, not these.
"""
