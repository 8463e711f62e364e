# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The control records: what exists where, and who holds how much of it.

On :mod:`brick.db` (SQLite, PostgreSQL or MariaDB):

* :mod:`~brick.inventory.topology`: zones and racks, places, distance.
* :mod:`~brick.inventory.hosts`: hosts, their place and state.
* :mod:`~brick.inventory.pools`: pools as read (and the incremental
  refresh a scheduler's cache uses), created, changed and deleted.
* :mod:`~brick.inventory.fields`: the checks of every pool field.
* :mod:`~brick.inventory.reports`: a driver's capacity report, written
  into its pool.
* :mod:`~brick.inventory.census`: a node's whole report (capacity and
  every volume) written and reconciled with the allocations: the node
  is the truth for what it holds.
* :mod:`~brick.inventory.orphans`: volumes of rolled-back placements not
  yet deleted on their node.
* :mod:`~brick.inventory.reservations`: reserve space atomically, with
  an expiry; commit, release, reap.
* :mod:`~brick.inventory.claims`: the conditional statements a
  reservation is made of.
* :mod:`~brick.inventory.allocations`: committed space, freeing it, and
  the check of every pool's usage counter.
* :mod:`~brick.inventory.file` and :mod:`~brick.inventory.declarative`:
  the YAML inventory file, applied idempotently.

Every public function takes a :class:`brick.db.engine.Database` first,
runs its own transaction(s) and returns frozen dataclasses; functions
whose first argument is a connection work inside the caller's
transaction.  Sizes are int bytes.  Nothing here decides where a volume
goes: that is :mod:`brick.scheduler`.
"""
