# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Make the database match an inventory file, idempotently.

:func:`apply` compares the file (:mod:`brick.inventory.file`)
with the database and

* creates the zones, racks, hosts and pools that are missing;
* updates what changed: a zone's region, a rack's zone, a host's place
  or state, a pool's driver and fields.  A pool's ``total``, ``step``
  and ``max_volume`` are left alone once a node has reported them (see
  :mod:`brick.inventory.pools`);
* disables what vanished: pools no longer in the file become
  ``disabled`` (no new claims; existing ones stay) and hosts become
  ``disabled``;
* with ``prune``, deletes vanished pools that hold no allocation or live
  reservation, and vanished racks and zones nothing refers to any more;
  a vanished pool that holds something is deleted only with ``force``
  (its allocations and reservations go with it).  Hosts are never
  deleted.

Everything runs in one transaction: an error leaves the database as it
was.  A dry run makes the same changes and rolls them back, so the diff
it returns is exactly what the real run would do.  Applying the same
file twice changes nothing the second time.
"""

import dataclasses
from typing import Literal
from typing import TypeAlias

import sqlalchemy as sa

from brick import units
from brick.db import engine
from brick.db import models
from brick.inventory import fields
from brick.inventory import file as file_mod
from brick.inventory import hosts as hosts_mod
from brick.inventory import pools as pools_module
from brick.inventory import topology

Action: TypeAlias = Literal['create', 'update', 'disable', 'delete']
Kind: TypeAlias = Literal['zone', 'rack', 'host', 'pool']
FieldChange: TypeAlias = tuple[str, object, object]
"""``(field, old, new)``."""

SYMBOLS: dict[Action, str] = {
    'create': '+', 'update': '~', 'disable': '!', 'delete': '-'}


@dataclasses.dataclass(frozen=True)
class Change:
    """One line of the diff."""

    action: Action
    """create, update, disable or delete."""
    kind: Kind
    """zone, rack, host or pool."""
    key: str
    """The zone, rack or host name; ``scope:owner/name`` for a pool."""
    fields: tuple[FieldChange, ...] = ()
    """``(field, old, new)`` triples; old is None for a create."""
    note: str = ''

    def __str__(self) -> str:
        parts = []
        for field, old, new in self.fields:
            if self.action == 'create':
                parts.append('%s=%s' % (field, _show(field, new)))
            else:
                parts.append('%s %s -> %s' % (field, _show(field, old),
                                              _show(field, new)))
        text = '%s %s %s' % (SYMBOLS[self.action], self.kind, self.key)
        if parts:
            text += ': ' + ', '.join(parts)
        if self.note:
            text += ' (%s)' % self.note
        return text


def _show(field: str, value: object) -> str:
    if field in fields.SIZES and isinstance(value, int) and value >= 1024:
        return '%d (%s)' % (value, units.human(value))
    if isinstance(value, tuple):
        return '[%s]' % ', '.join(value)
    return 'none' if value is None else str(value)


class _DryRun(Exception):
    def __init__(self, changes: list[Change]) -> None:
        super().__init__('dry run')
        self.changes = changes


def apply(db: engine.Database, wanted: file_mod.Inventory,
          dry_run: bool = False, prune: bool = False, force: bool = False
          ) -> list[Change]:
    """Make the database describe what the inventory file *wanted* says.

    :param db: a :class:`~brick.db.engine.Database`.
    :param wanted: an :class:`~brick.inventory.file.Inventory`.
    :param dry_run: compute the changes, then roll them back.
    :param prune: delete vanished pools, racks and zones when unused.
    :param force: with *prune*, delete vanished pools that hold
        allocations or reservations too.
    :returns: the list of :class:`Change`, in the order they were made;
        empty when the database already matches.
    :raises brick.exception.BrickException: nothing was changed.
    """
    def work(conn: sa.Connection) -> list[Change]:
        changes = _apply(conn, wanted, prune, force)
        if dry_run:
            raise _DryRun(changes)
        return changes
    try:
        return db.run('inventory from %s' % wanted.source, work)
    except _DryRun as done:
        return done.changes


def _apply(conn: sa.Connection, wanted: file_mod.Inventory, prune: bool,
           force: bool) -> list[Change]:
    changes: list[Change] = []
    zones = {row.name: row for row in conn.execute(sa.select(models.zones))}
    for name, region in wanted.zones.items():
        if name not in zones:
            topology.insert_zone(conn, name, region)
            changes.append(Change('create', 'zone', name,
                                  (('region', None, region),)))
        elif zones[name].region != region:
            topology.update_zone(conn, name, region)
            changes.append(Change('update', 'zone', name, (
                ('region', zones[name].region, region),)))
    topo = topology.Map(conn)
    racks = {rack.name: rack for rack in topo.racks.values()}
    for name, zone in wanted.racks.items():
        if name not in racks:
            topology.insert_rack(conn, name, zone)
            changes.append(Change('create', 'rack', name,
                                  (('zone', None, zone),)))
        elif racks[name].zone != zone:
            topology.move_rack(conn, name, zone)
            changes.append(Change('update', 'rack', name,
                                  (('zone', racks[name].zone, zone),)))
    changes += _hosts(conn, wanted)
    changes += _pools(conn, wanted, prune, force)
    if prune:
        for kind, name in topology.delete_unused(
                conn, sorted(set(zones) - set(wanted.zones)),
                sorted(set(racks) - set(wanted.racks))):
            changes.append(Change('delete', kind, name))
    return changes


def _hosts(conn: sa.Connection, wanted: file_mod.Inventory
           ) -> list[Change]:
    changes: list[Change] = []
    hosts = {host.name: host for host in hosts_mod.read_hosts(conn)}
    for name, (zone, rack, state) in wanted.hosts.items():
        host = hosts.get(name)
        if host is None:
            hosts_mod.insert_host(conn, name, zone, rack, state)
            changes.append(Change('create', 'host', name, (
                ('zone', None, zone), ('rack', None, rack),
                ('state', None, state))))
            continue
        diff: list[FieldChange] = []
        if (host.place.zone, host.place.rack) != (zone, rack):
            hosts_mod.place_host(conn, name, zone, rack)
            diff += [('zone', host.place.zone, zone),
                     ('rack', host.place.rack, rack)]
        # 'enabled' in the file does not make a host that is down
        # enabled: its next heartbeat does.
        new_state = 'disabled' if state == 'disabled' else (
            'enabled' if host.state == 'disabled' else host.state)
        if new_state != host.state:
            hosts_mod.change_host(conn, name, 'to change', state=new_state,
                                  updated_at=engine.utcnow())
            diff.append(('state', host.state, new_state))
        if diff:
            changes.append(Change('update', 'host', name, tuple(diff)))
    for name in sorted(set(hosts) - set(wanted.hosts)):
        if hosts[name].state != 'disabled':
            hosts_mod.change_host(conn, name, 'to disable',
                                  state='disabled',
                                  updated_at=engine.utcnow())
            changes.append(Change('disable', 'host', name, (
                ('state', hosts[name].state, 'disabled'),),
                note='not in the file'))
    return changes


def _pools(conn: sa.Connection, wanted: file_mod.Inventory, prune: bool,
           force: bool) -> list[Change]:
    changes: list[Change] = []
    current = {(pool.scope, pool.owner, pool.name): pool
               for pool in pools_module.read_pools(conn)}
    for key, values in wanted.pools.items():
        label = '%s:%s/%s' % key
        pool = current.get(key)
        if pool is None:
            pools_module.insert_pool(conn, key[2], values['driver'], key[0],
                                     key[1], {k: v for k, v in values.items()
                                              if k != 'driver'})
            changes.append(Change('create', 'pool', label, (
                ('driver', None, values['driver']),) + tuple(
                (field, None, value) for field, value in values.items()
                if field != 'driver')))
            continue
        desired = dict(values)
        if pool.reported_at is not None:
            for field in fields.REPORTED:
                desired.pop(field, None)
        diff = tuple((field, getattr(pool, field), value)
                     for field, value in desired.items()
                     if getattr(pool, field) != value)
        if diff:
            pools_module.change_pool(conn, pool.id, desired)
            changes.append(Change('update', 'pool', label, diff))
    for key in sorted(set(current) - set(wanted.pools)):
        changes += _vanished(conn, current[key], prune, force)
    return changes


def _vanished(conn: sa.Connection, pool: pools_module.Pool, prune: bool,
              force: bool) -> list[Change]:
    allocations, live = pools_module.holdings(conn, pool.id)
    held = 'holds %d allocations, %d reservations' % (allocations, live)
    if prune and (force or not (allocations or live)):
        pools_module.remove_pool(conn, pool.id, force=True)
        return [Change('delete', 'pool', pool.key, note=held)]
    if pool.state != 'disabled':
        pools_module.change_pool(conn, pool.id, {'state': 'disabled'})
        return [Change('disable', 'pool', pool.key,
                       (('state', pool.state, 'disabled'),),
                       note='not in the file; ' + held)]
    return []
