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
  memory), kept by :mod:`~brick.scheduler.cache` with the indexes of
  :mod:`~brick.scheduler.index`, refreshed from the inventory
  (:mod:`brick.inventory`) by :mod:`~brick.scheduler.source`.
* How it decides: :mod:`~brick.scheduler.context` resolves the request's
  pairing, :mod:`~brick.scheduler.search` finds the pairs that pass the
  :mod:`~brick.scheduler.filters`, :mod:`~brick.scheduler.selector`
  ranks them with the :mod:`~brick.scheduler.weighers` into
  :mod:`~brick.scheduler.candidate` objects, with an
  :mod:`~brick.scheduler.explanation`; :mod:`~brick.scheduler.settings`
  holds the knobs.

Reserving the chosen space is the inventory's
(:mod:`brick.inventory.reservations`); the workflow
(:mod:`brick.workflow`) joins the two.
"""
