# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Writing the live inventory as a declarative file.

:func:`read` turns the database into the
:class:`~brick.inventory.file.Inventory` that
:func:`brick.inventory.file.parse` would return for the same site, and
:func:`dump` writes it as YAML, so that::

    brick inventory export > site.yaml
    brick inventory apply -f site.yaml      # 0 changes

What the file cannot say is left out: usage, allocations and
reservations, heartbeats, and a host's ``up``/``down`` (the file says
``enabled`` or ``disabled``; apply keeps ``down`` as it is).  Sizes are
written in bytes, exactly; a field at its default is omitted.
"""

from typing import Any

import sqlalchemy as sa
import yaml

from brick.db import engine
from brick.inventory import fields
from brick.inventory import file as file_mod
from brick.inventory import hosts as hosts_mod
from brick.inventory import pools as pools_mod
from brick.inventory import topology

HEADER = ('# brick inventory, written by "brick inventory export".\n'
          '# "brick inventory apply -f FILE" makes a database match it.\n')


def read(db: engine.Database) -> file_mod.Inventory:
    """The inventory in *db*, as the file describing it would load.

    :param db: a :class:`~brick.db.engine.Database`.
    :returns: a :class:`~brick.inventory.file.Inventory`.
    """
    def work(conn: sa.Connection
             ) -> tuple[topology.Map, list[hosts_mod.Host],
                        list[pools_mod.Pool]]:
        topo = topology.Map(conn)
        return (topo, hosts_mod.read_hosts(conn),
                pools_mod.read_pools(conn))
    topo, hosts, pools = db.run('inventory export', work, readonly=True)
    zones = {zone.name: zone.region for zone in sorted(
        topo.zones.values(), key=lambda z: z.name)}
    racks = {rack.name: rack.zone for rack in sorted(
        topo.racks.values(), key=lambda r: r.name)}
    host_map = {host.name: (host.place.zone, host.place.rack,
                            'disabled' if host.state == 'disabled'
                            else 'enabled') for host in hosts}
    pool_map: dict[file_mod.PoolKey, dict[str, Any]] = {}
    for pool in sorted(pools, key=lambda p: (p.scope, p.owner, p.name)):
        values = {field: getattr(pool, field)
                  for field in fields.POOL_DEFAULTS}
        pool_map[(pool.scope, pool.owner, pool.name)] = dict(
            values, driver=pool.driver)
    return file_mod.Inventory('database %s' % db.safe_url, zones, racks,
                              host_map, pool_map)


def as_data(inventory: file_mod.Inventory) -> dict[str, list[dict[str, Any]]]:
    """The plain data of the file: ``{zones, racks, hosts, pools}``."""
    zones = [_entry(name=name, region=region)
             for name, region in inventory.zones.items()]
    racks = [{'name': name, 'zone': zone}
             for name, zone in inventory.racks.items()]
    hosts: list[dict[str, Any]] = []
    for name, (zone, rack, state) in inventory.hosts.items():
        hosts.append(_entry(name=name, rack=rack,
                            zone=zone if rack is None else None,
                            state=state if state != 'enabled' else None))
    pools: list[dict[str, Any]] = []
    for (scope, owner, name), values in inventory.pools.items():
        entry: dict[str, Any] = {
            'name': name, 'driver': values['driver'], scope: owner}
        for field, default in fields.POOL_DEFAULTS.items():
            value = values[field]
            if field == 'tags':
                value = list(value)
                default = list(default)
            if value != default:
                entry[field] = value
        pools.append(entry)
    return {'zones': zones, 'racks': racks, 'hosts': hosts, 'pools': pools}


def dump(inventory: file_mod.Inventory) -> str:
    """YAML text that :func:`brick.inventory.file.parse` reads back into
    an equal :class:`~brick.inventory.file.Inventory`."""
    data = {key: value for key, value in as_data(inventory).items()
            if value}
    return HEADER + yaml.safe_dump(data, sort_keys=False, width=100,
                                   default_flow_style=None)


def _entry(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}
