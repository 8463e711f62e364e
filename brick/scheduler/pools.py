# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Changing pools: create, update, delete, and node capacity reports.

Who owns which field:

* the **node** (:func:`apply_report`, from its driver's
  :class:`~brick.drivers.volume.CapacityReport`): ``total``, ``step``,
  ``max_volume`` and ``unmanaged`` (bytes of volumes brick did not
  create, counted as used), so the inventory follows what is really on
  the node;
* the **operator** (API or YAML file): everything else, including
  ``reserved`` and ``allocation_ratio`` (policy, as in Placement; the
  driver's own ratio in the report is not applied).  ``total``, ``step``
  and ``max_volume`` given by the operator are starting values for a
  pool no node has reported yet;
* **claims** (:mod:`brick.scheduler.reservations`): ``used``.

Every change bumps ``generation`` and sets ``updated_at``; a change that
changes nothing writes nothing.  The ``*_pool(conn, ...)`` helpers work
inside the caller's transaction (the YAML apply runs all of its changes
in one); the others run their own, retried on conflicts.
"""

import json

import sqlalchemy as sa

from brick import drivers
from brick import exception
from brick import names
from brick.db import engine
from brick.db import models
from brick.scheduler import fields
from brick.scheduler import inventory

POOLS = models.pools
_SETTABLE = tuple(fields.POOL_DEFAULTS) + ('driver',)


def check_driver(name, what, known=None):
    """Raise DriverNotFound unless *name* is an installed volume driver.

    Checked against the entry-point names, without importing the
    driver: the control side need not be able to load node drivers.

    :param known: the names of :func:`brick.drivers.names`, if already
        read.
    """
    known = drivers.names() if known is None else known
    if name not in known:
        raise exception.DriverNotFound(
            name=name, available=', '.join(known) or 'none')
    return name


def _stored(values):
    """Column values of checked pool fields: tags as JSON, capacity."""
    row = dict(values)
    row['tags'] = json.dumps(list(values['tags']))
    row['capacity'] = fields.capacity(values['total'], values['reserved'],
                                      values['allocation_ratio'])
    return row


def _current(row):
    values = {field: getattr(row, field) for field in fields.POOL_DEFAULTS}
    values['tags'] = tuple(json.loads(row.tags))
    return values


def _locked(conn, pool_id):
    """The row of pool *pool_id*, locked; raise PoolNotFound if none."""
    row = conn.execute(sa.select(POOLS).where(
        POOLS.c.id == pool_id).with_for_update()).first()
    if row is None:
        raise exception.PoolNotFound(name=pool_id,
                                     reason='no pool has this id')
    return row


def insert_pool(conn, name, driver, scope, owner, values, known=None):
    """Add a pool in the caller's transaction; return its id.

    :param values: pool fields; missing ones take
        :data:`~brick.scheduler.fields.POOL_DEFAULTS`.
    :raises brick.exception.Conflict: the owner has a pool of that name.
    """
    what = 'pool %s:%s/%s' % (scope, owner, name)
    names.validate(name, 'name of ' + what)
    check_driver(driver, what, known)
    checked = fields.pool(dict(fields.POOL_DEFAULTS, **values), what)
    owner_id = inventory.owner_id(conn, scope, owner, 'owner of ' + what)
    if conn.scalar(sa.select(POOLS.c.id).where(
            POOLS.c[scope + '_id'] == owner_id, POOLS.c.name == name)):
        raise exception.Conflict(reason='%s exists' % what)
    now = engine.utcnow()
    return conn.execute(POOLS.insert().values(
        name=name, driver=driver, scope=scope,
        **{scope + '_id': owner_id}, used=0, unmanaged=0, generation=0,
        created_at=now, updated_at=now,
        **_stored(checked))).inserted_primary_key[0]


def change_pool(conn, pool_id, changes, expected_generation=None):
    """Update pool fields in the caller's transaction.

    :param changes: ``{field: value}`` of settable fields (and
        ``driver``).
    :param expected_generation: if not None, fail unless the pool is at
        this generation (compare-and-swap, as Placement's inventory
        updates).
    :returns: True if anything changed.
    :raises brick.exception.PoolNotFound: no such pool.
    :raises brick.exception.ConcurrentUpdate: generation mismatch.
    """
    unknown = sorted(set(changes) - set(_SETTABLE))
    if unknown:
        raise exception.InvalidValue(field='pool field', value=unknown[0],
                                     allowed=', '.join(_SETTABLE))
    row = _locked(conn, pool_id)
    what = 'pool %s (id %d)' % (row.name, row.id)
    if expected_generation is not None and \
            row.generation != expected_generation:
        raise exception.ConcurrentUpdate(
            what=what, attempts=1,
            reason='generation is %d, expected %d' % (row.generation,
                                                      expected_generation))
    driver = changes.get('driver', row.driver)
    if driver != row.driver:
        check_driver(driver, what)
    current = _current(row)
    merged = fields.pool(dict(current, **{
        k: v for k, v in changes.items() if k != 'driver'}), what)
    if merged == current and driver == row.driver:
        return False
    conn.execute(POOLS.update().where(POOLS.c.id == pool_id).values(
        driver=driver, generation=POOLS.c.generation + 1,
        updated_at=engine.utcnow(), **_stored(merged)))
    return True


def holdings(conn, pool_id):
    """``(allocations, live reservations)`` counts of a pool."""
    allocations = conn.scalar(sa.select(sa.func.count()).where(
        models.allocations.c.pool_id == pool_id))
    reservations = conn.scalar(sa.select(sa.func.count()).where(
        models.reservations.c.pool_id == pool_id,
        models.reservations.c.state == 'reserved'))
    return allocations, reservations


def remove_pool(conn, pool_id, force=False):
    """Delete a pool in the caller's transaction.

    A pool that holds allocations or live reservations is deleted only
    with *force*, and those go with it.  Finished reservations always do.

    :raises brick.exception.Conflict: it holds some and not *force*.
    """
    allocations, live = holdings(conn, pool_id)
    if (allocations or live) and not force:
        raise exception.Conflict(
            reason='pool %d holds %d allocations and %d reservations; '
                   'release them or delete with force' % (
                       pool_id, allocations, live))
    conn.execute(models.reservations.delete().where(
        models.reservations.c.pool_id == pool_id))
    conn.execute(models.allocations.delete().where(
        models.allocations.c.pool_id == pool_id))
    conn.execute(POOLS.delete().where(POOLS.c.id == pool_id))


def create_pool(db, name, driver, host=None, rack=None, zone=None,
                **values):
    """Add pool *name* owned by exactly one of *host*, *rack*, *zone*.

    :param driver: a ``brick.volume_drivers`` entry-point name.
    :param values: pool fields (:data:`~brick.scheduler.fields.
        POOL_DEFAULTS`); sizes in int bytes.
    :returns: the new :class:`~brick.scheduler.inventory.Pool`.
    :raises brick.exception.DriverNotFound: unknown driver.
    :raises brick.exception.InvalidInput: a bad field, or not one owner.
    :raises brick.exception.NotFound: no such host, rack or zone.
    :raises brick.exception.Conflict: the owner has a pool of that name.
    """
    scope, owner = fields.scope(host, rack, zone, 'pool %r' % name)

    def work(conn):
        pool_id = insert_pool(conn, name, driver, scope, owner, values)
        return inventory.read_pools(conn, POOLS.c.id == pool_id)[0]
    return db.run('pool %s' % name, work, conflict='pool %s:%s/%s exists' % (
        scope, owner, name))


def update_pool(db, pool_id, expected_generation=None, **changes):
    """Change fields of a pool (see :func:`change_pool`).

    :returns: the pool as it is now.
    """
    def work(conn):
        change_pool(conn, pool_id, changes, expected_generation)
        return inventory.read_pools(conn, POOLS.c.id == pool_id)[0]
    return db.run('pool %s' % pool_id, work)


def delete_pool(db, pool_id, force=False):
    """Delete a pool (see :func:`remove_pool`); a missing one is fine."""
    db.run('pool %s' % pool_id, lambda conn: remove_pool(conn, pool_id,
                                                         force))


def apply_report(db, pool_id, report, now=None):
    """Set a pool's node-owned fields from its driver's capacity report.

    ``total``, ``step`` and ``max_volume`` come from the report, and
    ``unmanaged`` is ``report.unmanaged``, the bytes provisioned to
    volumes brick did not create: they count as used from now on.  A
    report may leave a pool over its capacity (someone filled it by
    hand); claims then fail until space is freed.  The report's
    ``allocation_ratio`` is not applied: the ratio is policy.

    :param report: a :class:`brick.drivers.volume.CapacityReport`.
    :returns: the pool as it is now.
    :raises brick.exception.InvalidSize: a negative or non-int size.
    :raises brick.exception.PoolNotFound: no such pool.
    """
    what = 'capacity report of pool %s' % pool_id
    reported = {
        'total': fields.size(report.total, 'total of ' + what),
        'step': fields.size(report.step, 'step of ' + what, minimum=1),
        'max_volume': fields.size(report.max_volume,
                                  'max_volume of ' + what),
        'unmanaged': fields.size(report.unmanaged, 'unmanaged of ' + what),
    }
    now = now or engine.utcnow()

    def work(conn):
        row = _locked(conn, pool_id)
        values = dict(reported, reported_at=now, updated_at=now,
                      generation=POOLS.c.generation + 1,
                      capacity=fields.capacity(reported['total'],
                                               row.reserved,
                                               row.allocation_ratio))
        conn.execute(POOLS.update().where(POOLS.c.id == pool_id).values(
            **values))
        return inventory.read_pools(conn, POOLS.c.id == pool_id)[0]
    return db.run(what, work)
