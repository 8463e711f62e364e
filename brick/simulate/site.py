# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The site a simulation runs on: hosts and pools, read once.

From a declarative inventory file (:func:`from_file`: checked by
:func:`brick.inventory.file.load`, every pool empty) or from a live
inventory database (:func:`from_database`: read as the scheduler's first
refresh reads it, usage and allocations included; nothing is written).
Each configuration then gets its own in-memory copy
(:class:`brick.simulate.adapter.Scheduler`).

Why a file is not applied into an in-memory SQLite database first: the
scheduler reads rows, not SQL, and the rows are built here by the
inventory's and the source's own conversions
(:func:`brick.simulate.adapter.rows_from_file`); applying a 10,000-host
file into SQLite took 14 s on the development machine, a tenth of the
two minutes a 100,000-request run may take, for the same rows (a test
compares the two paths).
"""

import dataclasses

from brick.db import engine
from brick.inventory import allocations as allocations_mod
from brick.inventory import file as file_mod
from brick.simulate import adapter


@dataclasses.dataclass(frozen=True)
class Existing:
    """A consumer that holds space before the simulation starts."""

    consumer: str
    volumes: tuple
    """``((volume name, pool key, bytes), ...)``."""


@dataclasses.dataclass
class Site:
    """Host and pool rows, plus what already holds space."""

    source: str
    hosts: list
    pools: list
    existing: list = dataclasses.field(default_factory=list)
    """:class:`Existing` consumers (a live inventory's allocations)."""

    @property
    def infos(self) -> list:
        return adapter.pool_infos(self.pools)

    @property
    def places(self) -> dict:
        """``{host: (zone, rack, state)}``."""
        return adapter.host_places(self.hosts)

    def summary(self) -> dict:
        capacities = [p.capacity for p in self.pools]
        return {'source': self.source, 'hosts': len(self.hosts),
                'pools': len(self.pools), 'capacity': sum(capacities),
                'racks': len({h.rack for h in self.hosts
                              if h.rack is not None}),
                'zones': len({h.zone for h in self.hosts
                              if h.zone is not None}),
                'existing_consumers': len(self.existing)}


def from_inventory(inventory: file_mod.Inventory) -> Site:
    """The site a checked :class:`~brick.inventory.file.Inventory`
    describes, every pool empty."""
    hosts, pools = adapter.rows_from_file(inventory)
    return Site(inventory.source, hosts, pools)


def from_file(path: str) -> Site:
    """Load and check the inventory file at *path*.

    :raises brick.exception.InvalidInput: as
        :func:`brick.inventory.file.load`.
    """
    return from_inventory(file_mod.load(path))


def from_text(text: str, source: str = '<string>') -> Site:
    return from_inventory(file_mod.parse(text, source))


def from_database(db: engine.Database) -> Site:
    """The live inventory in *db* (a
    :class:`~brick.db.engine.Database`), usage and allocations included;
    read only."""
    hosts, pools = adapter.rows_from_store(db)
    keys = {p.id: p.key for p in pools}
    by_consumer = {}
    for row in allocations_mod.list_allocations(db):
        by_consumer.setdefault(row.consumer, []).append(
            (row.volume or row.consumer, keys[row.pool_id], row.size))
    existing = [Existing(consumer, tuple(sorted(volumes)))
                for consumer, volumes in sorted(by_consumer.items())]
    return Site('database %s' % db.safe_url, hosts, pools, existing)
