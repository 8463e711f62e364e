# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The control side: what exists where, and who holds how much of it.

The inventory and its accounting (on :mod:`brick.db`):

* :mod:`~brick.scheduler.topology`: zones and racks, places, distance.
* :mod:`~brick.scheduler.inventory`: hosts and pools as read, and the
  incremental refresh query a cache uses.
* :mod:`~brick.scheduler.pools`: creating and changing pools, and
  applying a node's capacity report.
* :mod:`~brick.scheduler.fields`: the checks of every pool field.
* :mod:`~brick.scheduler.reservations`: atomic claims, commit, release,
  expiry.
* :mod:`~brick.scheduler.allocations`: committed space, freeing it, and
  the check of every pool's usage counter.
* :mod:`~brick.scheduler.inventory_file` and
  :mod:`~brick.scheduler.declarative`: the YAML inventory file, applied
  idempotently.

These functions take a :class:`brick.db.engine.Database` first, run their
own transaction(s) and return frozen dataclasses; sizes are int bytes.
"""
