# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Capacity reports: what a pool's driver says, written into its row.

The node owns ``total``, ``step``, ``max_volume`` and ``unmanaged``;
everything else is the operator's (:mod:`brick.inventory.pools`).
:func:`apply_report` writes one driver's
:class:`~brick.drivers.volume.CapacityReport` (``unmanaged`` being the
bytes of volumes brick did not create); a node's whole report, with
every volume, goes through :func:`brick.inventory.census.apply`, which
also counts brick's own volumes that no allocation explains.
"""

import datetime

import sqlalchemy as sa
from oslo_log import log as logging

from brick import units
from brick.db import engine
from brick.db import models
from brick.drivers import volume
from brick.inventory import fields
from brick.inventory import pools

LOG = logging.getLogger(__name__)
POOLS = models.pools


def apply_report(db: engine.Database, pool_id: int,
                 report: volume.CapacityReport,
                 now: datetime.datetime | None = None) -> pools.Pool:
    """Set a pool's node-owned fields from its driver's capacity report.

    ``total``, ``step`` and ``max_volume`` come from the report, and
    ``unmanaged`` is ``report.unmanaged``, the bytes provisioned to
    volumes brick did not create: they count as used from now on.  A
    report may leave a pool over its capacity (someone filled it by
    hand), or below its ``reserved`` space (logged as a warning); claims
    then fail until space is freed or ``reserved`` lowered.  The report's
    ``allocation_ratio`` is not applied: the ratio is policy.

    :param report: a :class:`brick.drivers.volume.CapacityReport`.
    :returns: the pool as it is now.
    :raises brick.exception.InvalidSize: a negative or non-int size.
    :raises brick.exception.PoolNotFound: no such pool.
    """
    what = 'capacity report of pool %s' % pool_id
    reported = capacity_fields(report, report.unmanaged, what)
    now = now or engine.utcnow()

    def work(conn: sa.Connection) -> pools.Pool:
        return store(conn, pools.lock_row(conn, pool_id), reported, now, now)
    return db.run(what, work)


def capacity_fields(report: volume.CapacityReport, unmanaged: int,
                    what: str) -> dict[str, int]:
    """The node-owned fields of a pool from *report*, checked.

    :param unmanaged: the bytes of volumes brick did not create.
    :param what: the report, for error messages.
    :raises brick.exception.InvalidSize: a negative or non-int size.
    """
    return {
        'total': fields.size(report.total, 'total of ' + what),
        'step': fields.size(report.step, 'step of ' + what, minimum=1),
        'max_volume': fields.size(report.max_volume,
                                  'max_volume of ' + what),
        'unmanaged': fields.size(unmanaged, 'unmanaged of ' + what),
    }


def store(conn: sa.Connection, row: engine.Row, reported: dict[str, int],
          reported_at: datetime.datetime,
          now: datetime.datetime) -> pools.Pool:
    """Write *reported* (:func:`capacity_fields`) into the pool of *row*,
    locked by the caller (:func:`brick.inventory.pools.lock_row`), in
    the caller's transaction; return the pool as it is now."""
    if row.reserved > reported['total']:
        # The node's disks are the truth: recorded, and said loudly,
        # since the operator's reserved space now leaves nothing.
        LOG.warning('Pool %s (id %d) reports a total of %s, less than '
                    'its reserved %s: it takes no claims until the '
                    'operator lowers reserved', row.name, row.id,
                    units.human(reported['total']),
                    units.human(row.reserved))
    conn.execute(POOLS.update().where(POOLS.c.id == row.id).values(
        **reported, reported_at=reported_at, updated_at=now,
        generation=POOLS.c.generation + 1,
        capacity=fields.capacity(reported['total'], row.reserved,
                                 row.allocation_ratio)))
    return pools.read_pools(conn, POOLS.c.id == row.id)[0]
