# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Orphans: volumes a placement made and gave up, not yet deleted.

The placement workflow records one when it cannot be sure a volume it
asked for is gone: the node did not answer the create (the volume may
exist, or appear when the node gets to it) or the delete of a rollback
failed.  The record is brick's own, kept apart from the workflow's flow
records, so it outlives them; it says "no placement owns this volume".
:mod:`brick.inventory.census` counts an orphan as used, has its node
delete it after a grace period, and drops the record once a report shows
the volume gone (or a later placement owns it again).
"""

import dataclasses
import datetime

import sqlalchemy as sa

from brick import exception
from brick import names
from brick.db import engine
from brick.db import models

ORPHANS = models.orphans


@dataclasses.dataclass(frozen=True)
class Orphan:
    id: int
    pool_id: int
    volume: str
    reason: str
    created_at: datetime.datetime


def record(db: engine.Database, pool_id: int, volume: str,
           reason: object) -> None:
    """Record that no placement owns *volume* of pool *pool_id* any more.

    Idempotent: a volume already recorded keeps its first record (and so
    its age).

    :param reason: why, for the operator (cut at 255 characters).
    :raises brick.exception.InvalidName: a bad volume name.
    """
    names.validate(volume, 'volume name')

    def work(conn: sa.Connection) -> None:
        exists = conn.execute(sa.select(ORPHANS.c.id).where(
            ORPHANS.c.pool_id == pool_id,
            ORPHANS.c.volume == volume)).first()
        if exists is None:
            conn.execute(ORPHANS.insert().values(
                pool_id=pool_id, volume=volume, reason=str(reason)[:255],
                created_at=engine.utcnow()))
    try:
        db.run('orphan %s of pool %s' % (volume, pool_id), work,
               conflict='recorded meanwhile')
    except exception.Conflict:
        pass  # another process recorded it first: same meaning


def list_orphans(db: engine.Database,
                 pool_id: int | None = None) -> list[Orphan]:
    """Orphan records, oldest first."""
    query = sa.select(ORPHANS).order_by(ORPHANS.c.created_at, ORPHANS.c.id)
    if pool_id is not None:
        query = query.where(ORPHANS.c.pool_id == pool_id)
    return db.run('orphans', lambda conn: [
        Orphan(row.id, row.pool_id, row.volume, row.reason, row.created_at)
        for row in conn.execute(query)], readonly=True)


def hosts_of_overdue(db: engine.Database, grace: float
                     ) -> dict[str | None, int]:
    """The hosts of the pools holding orphans recorded more than *grace*
    seconds ago: ``{host: count}``, None for pools shared by a rack or a
    zone (any of their hosts may report them)."""
    cutoff = engine.utcnow() - datetime.timedelta(seconds=grace)
    query = sa.select(models.hosts.c.name, sa.func.count()).select_from(
        ORPHANS.join(models.pools, models.pools.c.id == ORPHANS.c.pool_id)
        .outerjoin(models.hosts,
                   models.hosts.c.id == models.pools.c.host_id)).where(
        ORPHANS.c.created_at <= cutoff).group_by(models.hosts.c.name)
    return db.run('overdue orphans', lambda conn: {
        row[0]: row[1] for row in conn.execute(query)}, readonly=True)
