# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Who runs a flow: owner leases with a heartbeat, and taking a flow over
by compare-and-swap.

Every process that runs flows is an **owner**: a ``flow_owners`` row
whose ``expires_at`` it pushes forward every ``ttl / 3`` seconds
(:class:`Owner`, a heartbeat thread).  A new flow records its owner's id
in its flow detail's ``meta['owner']``; a flow taken over gets a
``flow_leases`` row naming the new owner.  An owner is **alive** while
its row has not expired, on the database's clock (never a host's own,
which may be off by more than the lease).

A flow is taken over (:meth:`Owner.take`) only from an owner that is not
alive, in one transaction that (1) locks the old owner's row, checks it
expired and deletes it, and (2) writes the lease with a compare-and-swap
on the old owner's id (an INSERT that another taker's INSERT makes fail,
or an UPDATE ``WHERE owner = old``).  Of two takers, exactly one wins;
the other gets :class:`~brick.exception.FlowBusy`.  A heartbeat that
finds its own row expired or deleted fails: from then on the process
runs no further step of its flows (:meth:`Owner.check`, which also
fails once the lease may have run out without a successful heartbeat:
a process stalled past its lease stops before its next step rather
than next to a new owner).

On one machine a dead owner is recognised at once, without waiting for
its lease: the row also names the process (pid and start time) and the
machine (boot id and pid namespace), and a process that no longer
exists there cannot come back.  A host name proves nothing (containers
and ``unshare --uts`` change it), so it is only shown, never trusted.
"""

import dataclasses
import os
import socket
import threading
import time
import uuid
import weakref

import sqlalchemy as sa
from oslo_log import log as logging
from sqlalchemy.ext import compiler as sa_compiler

from brick import exception
from brick.db import engine as engine_mod
from brick.db import models

LOG = logging.getLogger(__name__)
OWNERS = models.flow_owners
LEASES = models.flow_leases
MARGIN = 0.8
"""Share of the lease a process trusts without a newer heartbeat."""


class _DbClock(sa.sql.expression.FunctionElement):
    """Seconds since the epoch on the database server's clock."""

    type = sa.Double()
    inherit_cache = True


@sa_compiler.compiles(_DbClock, 'sqlite')
def _sqlite_clock(element, compiler, **kw):
    return "((julianday('now') - 2440587.5) * 86400.0)"


@sa_compiler.compiles(_DbClock, 'postgresql')
def _postgresql_clock(element, compiler, **kw):
    return 'EXTRACT(EPOCH FROM clock_timestamp())'


@sa_compiler.compiles(_DbClock, 'mysql')
@sa_compiler.compiles(_DbClock, 'mariadb')
def _mysql_clock(element, compiler, **kw):
    return 'UNIX_TIMESTAMP(NOW(6))'


_LIVE = weakref.WeakSet()
"""Owners of this process that registered (see :func:`_at_fork`)."""
_FORK_HOOKED = []


def _before_fork():
    for owner in list(_LIVE):
        owner._beat_lock.acquire()  # noqa: SLF001 - no renewal mid-fork


def _after_fork_in_parent():
    for owner in list(_LIVE):
        owner._beat_lock.release()  # noqa: SLF001


def _after_fork_in_child():
    for owner in list(_LIVE):
        owner._forked()  # noqa: SLF001


def _hook_fork():
    """Once per process: a child made by ``fork()`` is not its parent's
    owner (it has no heartbeat, and its parent still runs the flows)."""
    if not _FORK_HOOKED:
        _FORK_HOOKED.append(True)
        os.register_at_fork(before=_before_fork,
                            after_in_parent=_after_fork_in_parent,
                            after_in_child=_after_fork_in_child)


_ID = sa.bindparam('owner_id')
_TTL = sa.bindparam('ttl', type_=sa.Double)
_RENEW = OWNERS.update().where(
    OWNERS.c.id == _ID, OWNERS.c.expires_at > _DbClock()).values(
        expires_at=_DbClock() + _TTL)
_LOCK_OWNER = sa.select(OWNERS, (OWNERS.c.expires_at <= _DbClock()).label(
    'expired')).where(OWNERS.c.id == _ID).with_for_update()
_DELETE_OWNER = OWNERS.delete().where(OWNERS.c.id == _ID)


@dataclasses.dataclass(frozen=True)
class Process:
    """Where a process runs, as far as this machine can check it."""

    host: str
    pid: int
    started: int | None
    """Clock ticks since boot at which it started (Linux), or None."""
    machine: str | None
    """Boot id and pid namespace (Linux), or None."""

    @classmethod
    def this(cls) -> 'Process':
        pid = os.getpid()
        return cls(socket.gethostname(), pid, _started(pid), _machine())

    def describe(self) -> str:
        return 'process %d on %s' % (self.pid, self.host)

    def gone(self) -> bool:
        """True only if this machine can prove the process is gone: same
        machine, and no process with that pid and start time."""
        if self.machine is None or self.machine != _machine():
            return False
        return self.started is None or _started(self.pid) != self.started


def _started(pid):
    try:
        with open('/proc/%d/stat' % pid) as stat:
            # Field 22; the command name (field 2) may hold spaces.
            return int(stat.read().rsplit(')', 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def _machine():
    try:
        with open('/proc/sys/kernel/random/boot_id') as boot:
            boot_id = boot.read().strip()
        namespace = os.stat('/proc/self/ns/pid').st_ino
    except OSError:
        return None
    return '%s/%d' % (boot_id, namespace)


@dataclasses.dataclass(frozen=True)
class OwnerRow:
    """Another owner as :meth:`Owner.owners` read it."""

    id: str
    process: Process
    alive: bool
    """Its lease has not expired, and its process is not provably
    gone."""


class Owner:
    """This process as the owner of the flows it runs.

    The constructor touches nothing; the row is written and the
    heartbeat started by the first :meth:`register` (which
    :meth:`check`, :meth:`take` and :attr:`id` call).

    :param db: the inventory :class:`~brick.db.engine.Database`.
    :param ttl: seconds a lease lasts without a heartbeat
        (``[brick_workflow]owner_ttl``).
    """

    def __init__(self, db: engine_mod.Database, ttl: float = 30.0
                 ) -> None:
        if isinstance(ttl, bool) or not isinstance(ttl, int | float) or \
                ttl <= 0:
            raise exception.InvalidValue(
                field='[brick_workflow]owner_ttl', value=ttl,
                allowed='seconds, above 0')
        self.db = db
        self.ttl = float(ttl)
        self.process = Process.this()
        self._id = None
        self._valid_until = 0.0
        self._lost = None
        self._lock = threading.Lock()
        self._beat_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None

    @property
    def id(self) -> str:
        """This owner's id (registered on first use)."""
        self.register()
        return self._id

    def register(self) -> None:
        """Write this process's row and start its heartbeat (once)."""
        with self._lock:
            if self._id is not None:
                return
            if self._lost is not None:
                raise self._lost
            new_id = str(uuid.uuid4())
            started = time.monotonic()
            row = dict(id=new_id, host=self.process.host[:255],
                       pid=self.process.pid, started=self.process.started,
                       machine=self.process.machine,
                       created_at=engine_mod.utcnow())
            self.db.run('registering flow owner %s' % new_id,
                        lambda conn: conn.execute(OWNERS.insert().values(
                            dict(row, expires_at=_DbClock() + self.ttl))))
            self._id = new_id
            self._valid_until = started + self.ttl * MARGIN
            _hook_fork()
            _LIVE.add(self)
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._beat, name='brick-flow-owner', daemon=True)
            self._thread.start()
            LOG.debug('Flow owner %s registered (%s), lease %.1f s',
                      new_id, self.process.describe(), self.ttl)

    def _beat(self):
        while not self._stop.wait(self.ttl / 3):
            try:
                self.renew()
            except exception.FlowInterrupted:
                return
            except exception.BrickException as err:
                if time.monotonic() >= self._valid_until + self.ttl:
                    # Expired for sure: nothing left to renew.
                    try:
                        self._lose('no heartbeat got through for %.0f s: '
                                   '%s' % (self.ttl, err))
                    except exception.FlowInterrupted:
                        return
                LOG.warning('Flow owner %s could not renew its lease (%s); '
                            'its flows stop if it runs out', self._id, err)

    def renew(self) -> None:
        """Push the lease forward now.

        :raises brick.exception.FlowInterrupted: the lease had run out
            (or was taken): this process no longer owns its flows.
        """
        started = time.monotonic()
        with self._beat_lock:
            done = self.db.run('renewing flow owner %s' % self._id,
                               lambda conn: conn.execute(_RENEW, {
                                   'owner_id': self._id,
                                   'ttl': self.ttl}).rowcount)
        if done != 1:
            self._lose('its lease ran out before it was renewed')
        self._valid_until = started + self.ttl * MARGIN

    def _lose(self, reason):
        error = exception.FlowInterrupted(
            id='(all of %s)' % self._id,
            reason='this process no longer owns them: %s' % reason)
        LOG.error('Flow owner %s (%s): %s', self._id,
                  self.process.describe(), error)
        self._lost = error
        self._valid_until = 0.0
        self._stop.set()
        raise error

    def check(self) -> None:
        """Raise unless this process surely still owns its flows.

        :raises brick.exception.FlowInterrupted: the lease may have run
            out (no successful heartbeat within ``ttl * 0.8``).
        """
        self.register()
        if self._lost is not None:
            raise self._lost
        if time.monotonic() >= self._valid_until:
            # A slow heartbeat is not yet a lost lease: try once now.
            self.renew()

    def owners(self, ids) -> dict:
        """``{id: OwnerRow}`` of the owners *ids* that have a row."""
        ids = sorted({one for one in ids if one})
        if not ids:
            return {}
        query = sa.select(OWNERS, (OWNERS.c.expires_at > _DbClock()).label(
            'fresh')).where(OWNERS.c.id.in_(ids))
        rows = self.db.run('reading flow owners', lambda conn: conn.execute(
            query).all(), readonly=True)
        found = {}
        for row in rows:
            process = Process(row.host, row.pid, row.started, row.machine)
            alive = bool(row.fresh) and (row.id == self._id or
                                         not process.gone())
            found[row.id] = OwnerRow(row.id, process, alive)
        return found

    def take(self, flow_id: str, current: str | None,
             leased: bool) -> None:
        """Take flow *flow_id* over from owner *current*, which must not
        be alive (compare-and-swap, see the module docstring).

        :param current: the owner the caller read (``None``: let go).
        :param leased: whether the flow had a lease row when read.
        :raises brick.exception.FlowBusy: *current* is alive, or another
            process took the flow first.
        """
        me = self.id

        def work(conn):
            if current is not None and current != me:
                row = conn.execute(_LOCK_OWNER, {'owner_id': current}).first()
                if row is not None:
                    process = Process(row.host, row.pid, row.started,
                                      row.machine)
                    if not row.expired and not process.gone():
                        raise exception.FlowBusy(id=flow_id,
                                                 owner=process.describe())
                    # Its heartbeat now fails: it runs no further step.
                    conn.execute(_DELETE_OWNER, {'owner_id': current})
            now = engine_mod.utcnow()
            if not leased:
                conn.execute(LEASES.insert(), {'flow_uuid': flow_id,
                                               'owner': me, 'taken_at': now})
                return
            same = LEASES.c.owner.is_(None) if current is None else \
                LEASES.c.owner == current
            done = conn.execute(LEASES.update().where(
                LEASES.c.flow_uuid == flow_id, same).values(
                    owner=me, taken_at=now))
            if done.rowcount != 1:
                raise exception.FlowBusy(id=flow_id,
                                         owner='another process')
        try:
            self.db.run('taking over flow %s' % flow_id, work,
                        conflict='taken over by another process first')
        except exception.FlowBusy:
            raise
        except exception.Conflict as err:
            if type(err) is not exception.Conflict:
                raise
            # Another taker's lease row came first (the INSERT failed).
            raise exception.FlowBusy(id=flow_id,
                                     owner='another process') from err

    def let_go(self, flow_id: str) -> None:
        """Give flow *flow_id* up (it stopped here without finishing):
        any process may resume it at once."""
        me = self.id

        def work(conn):
            done = conn.execute(LEASES.update().where(
                LEASES.c.flow_uuid == flow_id, LEASES.c.owner == me).values(
                    owner=None, taken_at=engine_mod.utcnow()))
            if not done.rowcount:
                conn.execute(LEASES.insert().from_select(
                    ['flow_uuid', 'owner', 'taken_at'], sa.select(
                        sa.literal(flow_id), sa.null(),
                        sa.literal(engine_mod.utcnow())).where(
                            ~sa.exists().where(
                                LEASES.c.flow_uuid == flow_id))))
        self.db.run('letting go of flow %s' % flow_id, work)

    def _forked(self):
        """In a child of ``fork()``: forget the parent's identity; this
        process registers its own when it runs a flow."""
        self._beat_lock = threading.Lock()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._id = self._thread = self._lost = None
        self._valid_until = 0.0
        self.process = Process.this()
        _LIVE.discard(self)

    def close(self) -> None:
        """Stop the heartbeat and delete this owner's row: flows it left
        unfinished can be resumed at once."""
        with self._lock:
            owner_id, self._id = self._id, None
            self._stop.set()
            thread, self._thread = self._thread, None
            _LIVE.discard(self)
        if thread is not None:
            thread.join(5)
        if owner_id is not None:
            try:
                self.db.run('closing flow owner %s' % owner_id,
                            lambda conn: conn.execute(
                                _DELETE_OWNER, {'owner_id': owner_id}))
            except exception.BrickException:
                LOG.warning('Could not delete flow owner %s; its lease '
                            'runs out in %.0f s', owner_id, self.ttl)
