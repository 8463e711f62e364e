# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The ``[brick_workflow]`` group: the placement workflow's retries,
persistence, ownership and jobboard (see :mod:`brick.workflow`)."""

from oslo_config import cfg

import brick.conf

GROUP = cfg.OptGroup(
    'brick_workflow',
    title='Placement workflow',
    help='How the place, reserve, create, boot and commit workflow '
         'retries, and where it records its progress.')

OPTS: list[cfg.Opt] = [
    cfg.IntOpt(
        'attempts',
        default=3,
        min=1,
        help="""
How many times the whole placement (select candidates, reserve, create,
boot) is tried before the request fails.  Each new attempt leaves out the
hosts where an earlier one failed.  1 means no rescheduling: a failure
after the reserved candidates are used up fails the request.  See
``[brick_workflow]reserve_count``.
"""),
    cfg.IntOpt(
        'reserve_count',
        default=2,
        min=1,
        help="""
How many of the best candidates one attempt reserves at once.  When the
volumes cannot be created on the first, the next reserved one is tried
without scheduling again.  A higher count makes a failing host cheaper to
get past but holds capacity of other hosts until the request commits
(their reservations are then released).  At most
``[brick_scheduler]max_results`` candidates exist to reserve.
"""),
    cfg.BoolOpt(
        'persist',
        default=True,
        help="""
Record every flow's progress in the inventory database (tables
``flow_books``, ``flow_details`` and ``flow_atoms``, written through
taskflow's persistence interface before each step that changes
something) so that a flow interrupted by a crash can be finished with
``brick flow resume``, :func:`brick.api.resume` or, with
``[brick_workflow]jobboard_url``, by another conductor.  Off saves 5
database writes per placement; a crash then leaves reservations to
expire and volumes to clean up by hand.  A jobboard needs it on.
"""),
    cfg.BoolOpt(
        'keep_finished',
        default=False,
        help="""
Keep the records of flows that finished (committed or rolled back) in the
database, for auditing.  Off deletes them as each flow ends; interrupted
flows are always kept until resumed.  Jobs are always kept, for their
poster to read, until ``[brick_workflow]result_ttl`` has passed.
"""),
    cfg.FloatOpt(
        'owner_ttl',
        default=30.0,
        min=1.0,
        help="""
Seconds a process's ownership of the flows it runs lasts without a
heartbeat (it renews it every third of that).  Another process resumes
the flows of a process that stopped renewing only after this time, on
the database server's clock; on the same machine, a process that is
provably gone (no process with its pid and start time) is taken over at
once.  Shorter: flows of a dead host are resumed sooner; a process that
stalls longer than this (swapping, a paused VM) stops its flows before
their next step and leaves them to others.
"""),
    cfg.StrOpt(
        'jobboard_url',
        default=None,
        secret=True,
        sample_default='redis://127.0.0.1:6379?namespace=brick',
        help="""
The taskflow jobboard placements are posted to, as jobs that
``brick-conductor`` processes claim and run:
``redis://[:PASSWORD@]HOST[:PORT][/DB][?namespace=NAME]`` or
``zookeeper://HOST:PORT[,HOST:PORT...][/PATH][?timeout=SECONDS]``.  A
conductor that dies loses its claims (a Redis claim expires after
``[brick_conductor]claim_expiry``, a ZooKeeper claim with its session)
and another conductor resumes its flows.  Unset: placements run in the
calling process, and a process that died leaves its flows to ``brick
flow resume``.
"""),
    cfg.FloatOpt(
        'job_timeout',
        default=300.0,
        min=0.0,
        help="""
Seconds a placement posted to the jobboard is waited for before
:class:`~brick.exception.PlacementPending` is raised (the job goes on;
ask again with ``API.result(flow_id)``).
"""),
    cfg.FloatOpt(
        'result_ttl',
        default=86400.0,
        min=60.0,
        help="""
Seconds the record of a finished job is kept for its poster to read its
outcome; conductors delete older ones.
"""),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    brick.conf.register_group(conf, GROUP, OPTS)


def list_opts() -> dict[cfg.OptGroup, list[cfg.Opt]]:
    return {GROUP: OPTS}
