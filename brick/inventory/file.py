# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Reading the declarative inventory file (YAML).

::

    zones:
      - {name: z1, region: east}
    racks:
      - {name: r1, zone: z1}
    hosts:
      - {name: node1, rack: r1}          # its zone is the rack's
      - {name: node2, zone: z1, state: disabled}
    pools:
      - name: fast
        driver: lvm-thin
        host: node1                      # or rack: / zone: (shared)
        reserved: 10G
        allocation_ratio: 4.0
        tags: [ssd]

Every key is checked: an unknown key, a duplicate key or entry, a bad
value or a reference to a zone, rack or host the file does not describe
raises a :mod:`brick.exception` error naming the file, the entry and
the key, before the database is opened.  The YAML itself is read within
bounds (size, depth, aliases: :mod:`brick.inventory.bounded_yaml`).
The file describes the whole inventory: what it does not name has
vanished (:mod:`brick.inventory.declarative`).  Sizes take units (``10G``).
See ``etc/brick/inventory.yaml.example``.
"""

import dataclasses
from collections.abc import Collection
from collections.abc import Mapping
from typing import Any
from typing import TypeAlias

from brick import drivers
from brick import exception
from brick import names
from brick import units
from brick.inventory import bounded_yaml
from brick.inventory import fields
from brick.inventory import pools as pools_module

SECTIONS = ('zones', 'racks', 'hosts', 'pools')
KEYS = {
    'zones': ('name', 'region'),
    'racks': ('name', 'zone'),
    'hosts': ('name', 'zone', 'rack', 'state'),
    'pools': ('name', 'driver', 'host', 'rack', 'zone')
    + tuple(fields.POOL_DEFAULTS),
}
REQUIRED = {'zones': ('name',), 'racks': ('name', 'zone'),
            'hosts': ('name',), 'pools': ('name', 'driver')}
HOST_STATES = ('enabled', 'disabled')

HostEntry: TypeAlias = tuple[str | None, str | None, str]
"""A host of :class:`Inventory`: ``(zone, rack, state)``."""
PoolKey: TypeAlias = tuple[str, str, str]
"""A pool of :class:`Inventory`: ``(scope, owner, name)``."""
Entry: TypeAlias = dict[str, Any]
"""One entry of a section of the file, as YAML loaded it."""


@dataclasses.dataclass(frozen=True)
class Inventory:
    """A checked inventory file."""

    source: str
    zones: dict[str, str | None]
    """name -> region (or None)."""
    racks: dict[str, str]
    """name -> zone."""
    hosts: dict[str, HostEntry]
    """name -> (zone, rack, state): state ``enabled`` or ``disabled``."""
    pools: dict[PoolKey, dict[str, Any]]
    """(scope, owner, name) -> {'driver': ..., every pool field}."""


def load(path: str) -> Inventory:
    """Read and check the inventory file at *path*.

    :raises brick.exception.InvalidInput: unreadable, malformed or bad
        content, naming the file, entry and key.
    :raises brick.exception.NotFound: a reference to an undescribed
        zone, rack or host.
    :raises brick.exception.DriverNotFound: unknown driver.
    :raises brick.exception.Conflict: an entry listed twice.
    """
    try:
        with open(path, encoding='utf-8') as stream:
            text = bounded_yaml.read(stream, path)
    except (OSError, UnicodeDecodeError) as err:
        raise exception.InvalidInput(reason='cannot read inventory file '
                                     '%s: %s' % (path, err)) from err
    return parse(text, path)


def parse(text: str, source: str = '<string>') -> Inventory:
    """Check the inventory in YAML *text*; *source* names it in errors.

    :returns: an :class:`Inventory`.
    """
    data = bounded_yaml.load(text, source)
    if not isinstance(data, dict):
        raise exception.InvalidInput(
            reason='%s: expected a mapping with the keys %s, got %s' % (
                source, ', '.join(SECTIONS), type(data).__name__))
    _known(data, SECTIONS, source, 'top level')
    entries: dict[str, list[Entry]] = {}
    for section in SECTIONS:
        value = data.get(section) or []
        if not isinstance(value, list) or not all(isinstance(item, dict)
                                                  for item in value):
            raise exception.InvalidInput(
                reason='%s: %s must be a list of mappings' % (source,
                                                              section))
        for index, entry in enumerate(value):
            label = '%s: %s[%d]' % (source, section, index)
            name = entry.get('name')
            if isinstance(name, str) and len(name) <= names.MAX_LENGTH:
                label += ' (%s)' % name
            _known(entry, KEYS[section], label)
            for key in REQUIRED[section]:
                if entry.get(key) is None:
                    raise exception.InvalidInput(
                        reason='%s: %r is required' % (label, key))
        entries[section] = value
    return _build(entries, source)


def _known(mapping: Mapping[str, object], allowed: Collection[str],
           source: str, where: str | None = None) -> None:
    for key in mapping:
        if key not in allowed:
            raise exception.InvalidValue(
                field='key in %s' % (source if where is None else '%s %s' % (
                    source, where)), value=key, allowed=', '.join(allowed))


def _unique(seen: dict[tuple[str, ...], str], key: tuple[str, ...],
            label: str, what: str) -> None:
    if key in seen:
        raise exception.Conflict(reason='%s: %s is described twice, also '
                                 'in %s' % (label, what, seen[key]))
    seen[key] = label


def _ref(table: Collection[str], name: object, kind: str, label: str
         ) -> str:
    name = names.validate(name, '%s named by %s' % (kind, label))
    if name not in table:
        raise exception.NotFound(what='%s %r named by %s; the file '
                                 'describes no such %s' % (kind, name, label,
                                                           kind))
    return name


def _build(entries: Mapping[str, list[Entry]], source: str) -> Inventory:
    labels: dict[tuple[str, ...], str] = {}
    zones: dict[str, str | None] = {}
    racks: dict[str, str] = {}
    for index, entry in enumerate(entries['zones']):
        label = '%s: zones[%d]' % (source, index)
        name = names.validate(entry['name'], 'zone name in ' + label)
        _unique(labels, ('zone', name), label, 'zone %r' % name)
        region = entry.get('region')
        if region is not None:
            names.validate(region, 'region in ' + label)
        zones[name] = region
    for index, entry in enumerate(entries['racks']):
        label = '%s: racks[%d]' % (source, index)
        name = names.validate(entry['name'], 'rack name in ' + label)
        _unique(labels, ('rack', name), label, 'rack %r' % name)
        racks[name] = _ref(zones, entry['zone'], 'zone', label)
    hosts = _hosts(entries['hosts'], source, labels, zones, racks)
    pools = _pools(entries['pools'], source, labels,
                   {'host': hosts, 'rack': racks, 'zone': zones})
    return Inventory(source, zones, racks, hosts, pools)


def _hosts(entries: list[Entry], source: str,
           labels: dict[tuple[str, ...], str],
           zones: Mapping[str, str | None], racks: Mapping[str, str]
           ) -> dict[str, HostEntry]:
    hosts: dict[str, HostEntry] = {}
    for index, entry in enumerate(entries):
        label = '%s: hosts[%d]' % (source, index)
        name = names.validate(entry['name'], 'host name in ' + label)
        _unique(labels, ('host', name), label, 'host %r' % name)
        rack, zone = entry.get('rack'), entry.get('zone')
        if rack is not None:
            _ref(racks, rack, 'rack', label)
            if zone is not None and zone != racks[rack]:
                raise exception.InvalidValue(
                    field='zone in ' + label, value=zone,
                    allowed='the zone of rack %s (%s), or none' % (
                        rack, racks[rack]))
            zone = racks[rack]
        elif zone is not None:
            _ref(zones, zone, 'zone', label)
        state = fields.choice(entry.get('state', 'enabled'),
                              'state in ' + label, HOST_STATES)
        hosts[name] = (zone, rack, state)
    return hosts


def _pools(entries: list[Entry], source: str,
           labels: dict[tuple[str, ...], str],
           owners: Mapping[str, Collection[str]]
           ) -> dict[PoolKey, dict[str, Any]]:
    pools: dict[PoolKey, dict[str, Any]] = {}
    known_drivers = drivers.names() if entries else []
    for index, entry in enumerate(entries):
        label = '%s: pools[%d]' % (source, index)
        name = names.validate(entry['name'], 'pool name in ' + label)
        label += ' (%s)' % name
        scope, owner = fields.scope(entry.get('host'), entry.get('rack'),
                                    entry.get('zone'), label)
        _ref(owners[scope], owner, scope, label)
        key = (scope, owner, name)
        _unique(labels, key, label, 'pool %s:%s/%s' % key)
        driver = pools_module.check_driver(entry['driver'], label,
                                           known_drivers)
        values = dict(fields.POOL_DEFAULTS)
        for field in fields.POOL_DEFAULTS:
            if entry.get(field) is not None:
                value = entry[field]
                if field in fields.SIZES:
                    value = units.parse(value, '%s in %s' % (field, label))
                values[field] = value
        pools[key] = dict(fields.pool(values, label), driver=driver)
    return pools
