# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The ``[brick_workflow]`` group: the placement workflow's retries and
persistence (see :mod:`brick.workflow`)."""

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
Record every flow's progress in the inventory database (taskflow's
SQLAlchemy persistence, tables ``logbooks``, ``flowdetails`` and
``atomdetails``) so that a flow interrupted by a crash can be finished
with ``brick flow resume`` or :func:`brick.api.resume`.  Off saves a few
database writes per placement; a crash then leaves reservations to expire
and volumes to clean up by hand.
"""),
    cfg.BoolOpt(
        'keep_finished',
        default=False,
        help="""
Keep the records of flows that finished (committed or rolled back) in the
database, for auditing.  Off deletes them as each flow ends; interrupted
flows are always kept until resumed.
"""),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    brick.conf.register_group(conf, GROUP, OPTS)


def list_opts() -> dict[cfg.OptGroup, list[cfg.Opt]]:
    return {GROUP: OPTS}
