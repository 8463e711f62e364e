# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Writing a node's report into the inventory, and reconciling the two.

The node is the truth for what it holds: every volume on a pool counts
against the pool, whoever made it.  :func:`apply` takes a
:class:`~brick.node.report.NodeReport` (plain data from the node; the
node never writes here) and, pool by pool, in one transaction per pool
with the pool row locked:

1. writes the node-owned fields (``total``, ``step``, ``max_volume``)
   with :func:`brick.inventory.reports.store`, as a driver's own
   capacity report is written;
2. explains every volume on the pool by an allocation or a live
   reservation of the same pool and name; the others are

   ``adopted``
       brick made it but no allocation, reservation or orphan record
       knows it: it was made outside a placement (``brick volume
       create``, the Ganeti provider's create or snapshot).  It becomes
       an allocation of its own kind, consumer ``node:<host>`` (or
       ``ganeti:<uuid>`` for a Ganeti volume ``<uuid>.ext.disk<N>``),
       committed from a reservation of the same consumer, so
       ``brick reservation list`` and ``brick pool show`` show it;
   ``orphan``
       brick made it for a placement that gave it up: an orphan record
       (:mod:`brick.inventory.orphans`) or a released reservation says
       so.  Counted as used; once older than the grace period its node
       is asked to delete it (:meth:`brick.node.base.Node.delete_orphan`);
   ``abandoned``
       brick made it for a placement whose reservation expired: its
       flow stopped and may still be resumed (``brick flow resume``),
       which rolls it back or finishes it.  Counted as used, reported,
       never deleted here;
   ``foreign``
       not brick's (an administrator's ``lvcreate``): counted as used;

   ``unmanaged`` becomes the bytes of every volume not explained;
3. compares the allocations with the volumes: an adopted allocation
   whose volume is gone is freed (it only recorded the volume); a
   placement's allocation whose volume is gone is reported as
   ``missing`` and left alone (its consumer may need it back);
4. drops orphan records whose volume is gone or explained.

Nothing is ever deleted or freed silently: each of these is a
:class:`Difference`, logged by the monitor and listed by ``brick node
reconcile``.  With ``dry_run`` nothing is written.

Reports are compared with the inventory as of their ``taken_at`` (the
node's clock): a pool's report older than the one last applied is
skipped, and an allocation made after the listing is not taken for a
missing volume.
"""

import dataclasses
import datetime
import re
import uuid
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import TYPE_CHECKING
from typing import Any

import sqlalchemy as sa
from oslo_log import log as logging

from brick.db import engine
from brick.db import models
from brick.inventory import allocations as allocations_mod
from brick.inventory import pools as pools_mod
from brick.inventory import reports

if TYPE_CHECKING:  # a node's report, plain data; no import at run time
    from brick.node import report as report_mod

LOG = logging.getLogger(__name__)

POOLS = models.pools
ALLOCATIONS = models.allocations
RESERVATIONS = models.reservations
ORPHANS = models.orphans

KINDS = ('adopted', 'adopted-gone', 'orphan', 'abandoned', 'foreign',
         'missing', 'unknown-host', 'unknown-pool', 'absent-pool',
         'broken-pool')
"""Every :attr:`Difference.kind`."""

# Ganeti names ExtStorage volumes "<unique id>.ext.disk<N>" and their
# snapshots "<...>.snap" (ganeti-extstorage-interface(7); see
# brick.ganeti.environment).
_GANETI = re.compile(r'([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'
                     r'[0-9a-f]{12})\.ext\.disk\d+')


@dataclasses.dataclass(frozen=True)
class Difference:
    """One thing the inventory did not say about a node, or the reverse.
    """

    host: str
    pool: str
    """The pool's key (``host:NAME/POOL``), or its name on the node if
    the inventory has no such pool."""
    volume: str | None
    size: int
    kind: str
    """One of :data:`KINDS`."""
    action: str
    """What was done, or with ``dry_run`` what would be: ``adopted as
    node:h1``, ``freed``, ``delete requested``, ``none``..."""
    detail: str = ''


@dataclasses.dataclass(frozen=True)
class Deletion:
    """An orphan the caller should have its node delete."""

    pool: str
    """The pool's name on the node."""
    volume: str
    listed_at: float
    """The report's ``taken_at``, for
    :meth:`~brick.node.base.Node.delete_orphan`."""


@dataclasses.dataclass(frozen=True)
class Census:
    """What :func:`apply` found and did for one report."""

    host: str
    differences: tuple[Difference, ...]
    deletions: tuple[Deletion, ...]
    pools: dict[str, pools_mod.Pool]
    """``{pool name on the node: inventory Pool}`` as now stored (with
    ``dry_run``, as stored before)."""

    @property
    def outstanding(self) -> tuple[Difference, ...]:
        """The differences that still need a look: neither fixed here
        (adopted, freed) nor expected (foreign volumes)."""
        return tuple(d for d in self.differences
                     if d.kind not in ('adopted', 'adopted-gone', 'foreign'))


def consumer_for(host: str, volume: str) -> str:
    """The consumer an adopted volume is recorded under: ``ganeti:<uuid>``
    for a Ganeti ExtStorage volume, else ``node:<host>``."""
    found = _GANETI.match(volume)
    if found:
        return 'ganeti:' + found.group(1)
    return 'node:' + host


def is_adopted(consumer: str) -> bool:
    """True for the consumer of an adopted allocation.  Placements'
    consumers are brick names, which have no ``:``."""
    return ':' in consumer


def apply(db: engine.Database, report: 'report_mod.NodeReport',
          grace: float = 0,
          now: datetime.datetime | None = None, dry_run: bool = False,
          delete_orphans: bool = True) -> Census:
    """Write and reconcile *report* (see the module docstring).

    :param db: a :class:`~brick.db.engine.Database`.
    :param report: a :class:`~brick.node.report.NodeReport`.
    :param grace: seconds an orphan is kept before its deletion is
        asked for.
    :param now: the time (naive UTC) to judge ages by; default now.
    :param dry_run: change nothing; say what would be done.
    :param delete_orphans: ask for deletions at all.
    :returns: a :class:`Census`.
    """
    now = now or engine.utcnow()
    host = report.host
    taken_at = datetime.datetime.fromtimestamp(
        report.taken_at, datetime.UTC).replace(tzinfo=None)
    found = db.run('pools of host %s' % host, lambda conn: _host_pools(
        conn, host), readonly=True)
    if found is None:
        diff = Difference(host, '-', None, 0, 'unknown-host', 'none',
                          'host %s is not in the inventory; add it with '
                          "'brick host create'" % host)
        return Census(host, (diff,), (), {})
    known = found
    differences: list[Difference] = []
    deletions: list[Deletion] = []
    stored: dict[str, pools_mod.Pool] = {}
    for pool, message in report.broken:
        row = known.get(pool)
        differences.append(Difference(
            host, row.key if row else pool, None, 0, 'broken-pool', 'none',
            message))
    for pool_report in report.pools:
        row = known.get(pool_report.pool)
        if row is None:
            differences.append(Difference(
                host, pool_report.pool, None, 0, 'unknown-pool', 'none',
                "the node has pool %s, the inventory not; add it with "
                "'brick pool create %s --host %s --driver %s'" % (
                    pool_report.pool, pool_report.pool, host,
                    pool_report.driver)))
            continue
        if row.reported_at is not None and taken_at < row.reported_at \
                and not dry_run:
            LOG.debug('Skipping a report of pool %s taken at %s: one '
                      'taken at %s was applied', row.key, taken_at,
                      row.reported_at)
            stored[pool_report.pool] = row
            continue
        judge = _Judge(host, row, pool_report, taken_at, now, grace,
                       dry_run, delete_orphans)
        if dry_run:
            db.run('census of pool %s' % row.key, judge.run, readonly=True)
            stored[pool_report.pool] = row
        else:
            written = db.run('census of pool %s' % row.key, judge.run)
            assert written is not None  # only a dry run writes nothing
            stored[pool_report.pool] = written
        differences.extend(judge.differences)
        deletions.extend(judge.deletions)
    if report.complete:
        reported = {p.pool for p in report.pools} | {
            pool for pool, _ in report.broken}
        for name, row in known.items():
            if row.scope == 'host' and name not in reported:
                differences.append(Difference(
                    host, row.key, None, 0, 'absent-pool', 'none',
                    'the inventory has pool %s on host %s; its node does '
                    'not (see [brick_node]pools on %s)' % (
                        name, host, host)))
    for diff in differences:
        if diff.kind != 'foreign':
            LOG.info('Node %s, pool %s: %s %s (%s): %s', host, diff.pool,
                     diff.kind, diff.volume or '', diff.detail, diff.action)
    return Census(host, tuple(differences), tuple(deletions), stored)


def _host_pools(conn: sa.Connection, host: str
                ) -> dict[str, pools_mod.Pool] | None:
    """``{name: Pool}`` of the pools host *host*'s node serves: its own,
    then its rack's, then its zone's (the first of a name wins); None if
    the host is unknown."""
    hosts = models.hosts
    found = conn.execute(sa.select(hosts.c.rack_id, hosts.c.zone_id).where(
        hosts.c.name == host)).first()
    if found is None:
        return None
    shared = [hosts.c.name == host]
    if found.rack_id is not None:
        shared.append(POOLS.c.rack_id == found.rack_id)
    if found.zone_id is not None:
        shared.append(POOLS.c.zone_id == found.zone_id)
    order = ('host', 'rack', 'zone')
    pools: dict[str, pools_mod.Pool] = {}
    for pool in pools_mod.read_pools(conn, sa.or_(*shared)):
        held = pools.get(pool.name)
        if held is None or order.index(pool.scope) < order.index(
                held.scope):
            pools[pool.name] = pool
    return pools


class _Judge:
    """The census of one pool, run inside one transaction."""

    def __init__(self, host: str, row: pools_mod.Pool,
                 pool_report: 'report_mod.PoolReport',
                 taken_at: datetime.datetime, now: datetime.datetime,
                 grace: float, dry_run: bool, delete_orphans: bool) -> None:
        self.host = host
        self.row = row
        self.report = pool_report
        self.taken_at = taken_at
        self.now = now
        self.grace = datetime.timedelta(seconds=grace)
        self.dry_run = dry_run
        self.delete_orphans = delete_orphans
        self.differences: list[Difference] = []
        self.deletions: list[Deletion] = []

    def _say(self, volume: str | None, size: int, kind: str, action: str,
             detail: str = '') -> None:
        self.differences.append(Difference(
            self.host, self.row.key, volume, size, kind, action, detail))

    def run(self, conn: sa.Connection) -> pools_mod.Pool | None:
        self.differences, self.deletions = [], []
        pool_id = self.row.id
        locked = None if self.dry_run else pools_mod.lock_row(conn, pool_id)
        allocated = conn.execute(sa.select(ALLOCATIONS).where(
            ALLOCATIONS.c.pool_id == pool_id)).all()
        live = set(conn.scalars(sa.select(RESERVATIONS.c.volume).where(
            RESERVATIONS.c.pool_id == pool_id,
            RESERVATIONS.c.state == 'reserved')))
        explained = {a.volume for a in allocated} | live
        on_disk = {v.name: v for v in self.report.volumes}
        unexplained = [v for v in self.report.volumes
                       if v.name not in explained]
        records = {r.volume: r for r in conn.execute(sa.select(
            ORPHANS).where(ORPHANS.c.pool_id == pool_id))}
        ended = self._ended(conn, [v.name for v in unexplained
                                   if v.managed and v.name not in records])
        adopt: list[report_mod.VolumeEntry] = []
        unmanaged = 0
        for volume in unexplained:
            kind = self._classify(volume, records, ended)
            if kind == 'adopted':
                adopt.append(volume)
            else:
                unmanaged += volume.size
        freed = self._missing(allocated, on_disk)
        stale = [r.id for name, r in records.items()
                 if name in explained or (name not in on_disk
                                          and r.created_at <= self.taken_at)]
        if locked is None:  # a dry run
            return None
        self._adopt(conn, adopt)
        if freed:
            conn.execute(ALLOCATIONS.delete().where(
                ALLOCATIONS.c.id.in_([a.id for a in freed])))
            allocations_mod.give_back(conn, freed, self.now)
        if stale:
            conn.execute(ORPHANS.delete().where(ORPHANS.c.id.in_(stale)))
        what = 'report of pool %s' % self.row.key
        return reports.store(
            conn, locked, reports.capacity_fields(
                self.report.capacity, unmanaged, what),
            self.taken_at, self.now)

    def _ended(self, conn: sa.Connection, names: Sequence[str]
               ) -> dict[str, tuple[str, datetime.datetime | None]]:
        """``{volume: (state, finished_at)}`` of the latest finished
        reservation of each name in *names* on this pool."""
        if not names:
            return {}
        ended: dict[str, tuple[str, datetime.datetime | None]] = {}
        for row in conn.execute(sa.select(
                RESERVATIONS.c.volume, RESERVATIONS.c.state,
                RESERVATIONS.c.finished_at).where(
                RESERVATIONS.c.pool_id == self.row.id,
                RESERVATIONS.c.volume.in_(names),
                RESERVATIONS.c.state.in_(('released', 'expired'))).order_by(
                RESERVATIONS.c.finished_at)):
            ended[row.volume] = (row.state, row.finished_at)
        return ended

    def _classify(self, volume: 'report_mod.VolumeEntry',
                  records: Mapping[str, engine.Row],
                  ended: Mapping[str, tuple[str, datetime.datetime | None]]
                  ) -> str:
        if not volume.managed:
            self._say(volume.name, volume.size, 'foreign', 'counted as used',
                      'not made by brick')
            return 'foreign'
        since: datetime.datetime | None = None
        if volume.name in records:
            record = records[volume.name]
            since, detail = record.created_at, record.reason
        elif ended.get(volume.name, ('',))[0] == 'released':
            since = ended[volume.name][1] or self.now
            detail = 'its placement released its reservation (rolled back)'
        if since is not None:
            due = since + self.grace
            if not self.delete_orphans:
                action = 'counted as used; deletion is off'
            elif due <= self.now:
                action = 'delete requested' if not self.dry_run \
                    else 'would request deletion'
                self.deletions.append(Deletion(
                    self.report.pool, volume.name,
                    self.taken_at.replace(
                        tzinfo=datetime.UTC).timestamp()))
            else:
                action = 'counted as used; deleted after %s' % (
                    due.isoformat(timespec='seconds'))
            self._say(volume.name, volume.size, 'orphan', action, detail)
            return 'orphan'
        if volume.name in ended:
            self._say(volume.name, volume.size, 'abandoned',
                      'counted as used', 'its placement stopped and its '
                      "reservation expired; 'brick flow resume' finishes "
                      'or rolls it back')
            return 'abandoned'
        consumer = consumer_for(self.host, volume.name)
        self._say(volume.name, volume.size, 'adopted',
                  ('adopted as ' if not self.dry_run else
                   'would adopt as ') + consumer,
                  'brick made it outside a placement')
        return 'adopted'

    def _missing(self, allocated: Iterable[engine.Row],
                 on_disk: Mapping[str, 'report_mod.VolumeEntry']
                 ) -> list[engine.Row]:
        """Allocations whose volume is not on the node; returns the
        adopted ones, to free."""
        freed: list[engine.Row] = []
        for allocation in allocated:
            if allocation.volume is None or allocation.volume in on_disk \
                    or allocation.created_at > self.taken_at:
                continue
            if is_adopted(allocation.consumer):
                freed.append(allocation)
                self._say(allocation.volume, allocation.size,
                          'adopted-gone', 'would free' if self.dry_run
                          else 'freed', 'the volume %s recorded is gone'
                          % allocation.consumer)
            else:
                self._say(allocation.volume, allocation.size, 'missing',
                          'none (reported)',
                          'allocated to %s, not on the node'
                          % allocation.consumer)
        return freed

    def _adopt(self, conn: sa.Connection,
               volumes: Sequence['report_mod.VolumeEntry']) -> None:
        if not volumes:
            return
        now = self.now
        rows: list[dict[str, Any]] = []
        held: list[dict[str, Any]] = []
        for volume in volumes:
            consumer = consumer_for(self.host, volume.name)
            rid = str(uuid.uuid4())
            rows.append({'id': rid, 'request_id': rid, 'consumer': consumer,
                         'pool_id': self.row.id, 'size': max(volume.size, 1),
                         'volume': volume.name, 'state': 'committed',
                         'expires_at': now, 'created_at': now,
                         'finished_at': now})
            held.append({'consumer': consumer, 'pool_id': self.row.id,
                         'size': volume.size, 'volume': volume.name,
                         'reservation_id': rid, 'created_at': now})
        conn.execute(RESERVATIONS.insert(), rows)
        conn.execute(ALLOCATIONS.insert(), held)
        conn.execute(POOLS.update().where(POOLS.c.id == self.row.id).values(
            used=POOLS.c.used + sum(v.size for v in volumes)))
