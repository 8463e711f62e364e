# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The decision: where a request's volumes go, and why.

Pure and in memory; it never runs a command and never writes SQL.

* What is asked: :mod:`~brick.scheduler.request` (the
  :class:`~brick.scheduler.request.RequestSpec`), built from flavor extra
  specs (:mod:`~brick.scheduler.extra_specs`, typed by
  :mod:`~brick.scheduler.spec_types`, documented by
  :mod:`~brick.scheduler.spec_docs`), arguments and hints.
* What is known: :mod:`~brick.scheduler.state` (hosts and pools in
  memory), kept by :mod:`~brick.scheduler.cache` and mirrored into the
  numpy arrays of :mod:`~brick.scheduler.columns`, refreshed from the
  inventory (:mod:`brick.inventory`) by :mod:`~brick.scheduler.source`.
* How it decides: :mod:`~brick.scheduler.context` resolves the request's
  pairing, :mod:`~brick.scheduler.pairs` lays out the (host, pool)
  pairs, :mod:`~brick.scheduler.search` keeps those that pass every
  :mod:`~brick.scheduler.filters` plugin, :mod:`~brick.scheduler.ranking`
  weighs them with the :mod:`~brick.scheduler.weighers` and takes the
  best into :mod:`~brick.scheduler.candidate` objects, and
  :mod:`~brick.scheduler.selector` runs it all with an
  :mod:`~brick.scheduler.explanation`; :mod:`~brick.scheduler.settings`
  holds the knobs.  Every pool is looked at: the answer is exact.

Reserving the chosen space is the inventory's
(:mod:`brick.inventory.reservations`); the workflow
(:mod:`brick.workflow`) joins the two.
"""
