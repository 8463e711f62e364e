# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""One configuration's run, in simulated time (SimPy).

Each request goes through what the placement workflow does, with the
node and the database left out:

1. its spec is built from the stored request
   (:func:`brick.simulate.adapter.build_spec`, the workflow's own);
2. the selector decides; a refusal is recorded with its explanation;
3. the best ``reserve_count`` candidates are claimed in the cache;
4. ``build_time`` later (volume creation and boot) the best is kept and
   the others are released; the consumer is now running, and requests
   that pair with it (``local_to_instance``) find its host;
5. ``lifetime`` later its space is released.

Nothing fails in between: a simulation has no failing nodes, so the
workflow's retries never run.  Events are SimPy timeouts on one
:class:`simpy.Environment` per run; a request is decided at its arrival
instant, so runs are deterministic for a seed.
"""

import dataclasses
import functools
from collections.abc import Callable

import simpy

from brick import exception
from brick.simulate import adapter
from brick.simulate import metrics
from brick.simulate import site as site_mod
from brick.simulate import workload as workload_mod

EXISTING = 'existing'
"""The kind of consumers that held space before the run."""


@dataclasses.dataclass
class Live:
    """A consumer holding space."""

    kind: str
    type: str
    request: dict
    held: adapter.Held
    volumes: list
    order: int


@dataclasses.dataclass(frozen=True)
class Decision:
    """What happened to one request (see ``Run(log=...)``)."""

    time: float
    consumer: str
    kind: str
    host: str | None
    pools: tuple
    """Pool keys, one per volume; empty when refused."""
    refused: str | None
    """The blocking filter (or ``skipped``); None when placed."""


def volume_names(arrival: workload_mod.Arrival, count: int) -> list:
    """Its volumes' names, as :class:`brick.api.API` names them."""
    if arrival.type == 'volume':
        return [arrival.consumer] if count == 1 else [
            '%s-%d' % (arrival.consumer, i + 1) for i in range(count)]
    return ['%s-disk%d' % (arrival.consumer, i + 1) for i in range(count)]


class Run:
    """Run *arrivals* on *site* under one configuration.

    :param site: the :class:`~brick.simulate.site.Site`.
    :param workload: the :class:`~brick.simulate.workload.Workload`.
    :param arrivals: its :class:`~brick.simulate.workload.Arrival` list.
    :param settings: the configuration's scheduler settings.
    :param reserve_count: candidates reserved per request.
    :param what_ifs: :class:`~brick.simulate.whatif.WhatIf` objects.
    :param tick: called once per arrival handled (progress).
    :param log: a list to append each request's :class:`Decision` to
        (tests, notebooks); None keeps none.
    """

    def __init__(self, site: site_mod.Site, workload: workload_mod.Workload,
                 arrivals: list, settings: object, reserve_count: int,
                 what_ifs: list | tuple = (),
                 tick: Callable[[], None] | None = None,
                 log: list | None = None) -> None:
        self.site = site
        self.workload = workload
        self.arrivals = arrivals
        self.reserve_count = reserve_count
        self.what_ifs = list(what_ifs)
        self.tick = tick
        self.log = log
        self.env = simpy.Environment()
        self.sched = adapter.Scheduler(site.hosts, site.pools, settings)
        kinds = workload.kind_names + ([EXISTING] if site.existing else [])
        medians = dict(workload.medians)
        if site.existing:
            medians[EXISTING] = min(medians.values())
        self.rec = metrics.Recorder(kinds, medians, workload.sample_every,
                                    workload.duration)
        self._specs = workload.specs
        self.rec.set_pools(site.infos, self._usable())
        self._costs = {info.key: info.cost for info in site.infos}
        self.live = {}
        self._order = 0
        self._hosts = list(site.hosts)
        self.outcomes = []

    def _usable(self):
        found = {}
        for kind, spec in self._specs.items():
            try:
                found[kind] = self.sched.usable(spec)
            except (exception.NotFound, exception.InvalidValue) as err:
                raise exception.InvalidInput(reason='%s, kind %s: %s' % (
                    self.workload.source, kind, str(err).rstrip('.'))) \
                    from err
        return found

    # -- running -----------------------------------------------------------

    def run(self) -> metrics.Recorder:
        """Run to the workload's end; return the recorder."""
        infos = {info.key: info for info in self.site.infos}
        for found in self.site.existing:
            self._adopt(found, infos)
        env = self.env
        env.process(self._arrive())
        env.process(self._sample())
        for whatif in self.what_ifs:
            env.process(self._what_if(whatif))
        env.run(until=self.workload.duration)
        self.rec.sample(self.workload.duration, *self.sched.usage())
        return self.rec

    def _sample(self):
        step = self.workload.sample_every
        count = 0
        while count * step < self.workload.duration:
            self.rec.sample(self.env.now, *self.sched.usage())
            count += 1
            yield self.env.timeout(count * step - self.env.now)

    def _arrive(self):
        env = self.env
        for arrival in self.arrivals:
            if arrival.time > env.now:
                yield env.timeout(arrival.time - env.now)
            self._request(arrival)
            if self.tick is not None:
                self.tick()

    def _request(self, arrival):
        rec, now = self.rec, self.env.now
        rec.arrive(arrival.kind, now)
        paired = arrival.request['args'].get('local_to_instance')
        if paired is not None and paired not in self.live:
            rec.skip(arrival.kind, now)
            self._log(arrival, None, 'skipped')
            return
        spec = adapter.build_spec(arrival.request, arrival.consumer)
        candidates, refusal = self.sched.select(spec)
        if refusal is None:
            held = self.sched.reserve(candidates, self.reserve_count)
            if not held:
                refusal = adapter.Refusal('reserve', 'no candidate could be '
                                          'reserved', '')
        if refusal is not None:
            rec.refuse(arrival.kind, now, refusal)
            self._log(arrival, None, refusal.blocked_by)
            return
        names = volume_names(arrival, adapter.volume_count(spec))
        commit = functools.partial(self._commit, arrival, candidates, held,
                                   names)
        if self.workload.build_time > 0:
            self.env.timeout(self.workload.build_time).callbacks.append(
                commit)
        else:
            commit()

    def _commit(self, arrival, candidates, held, names, _event=None):
        chosen = held[0]
        for other in held[1:]:
            self.sched.release(other)
        placed = next(c for c in candidates if c.host == chosen.host and [
            (key, size) for key, size, _d in c.placements] == chosen.claims)
        self._record(arrival.kind, placed)
        self._log(arrival, placed, None)
        self._order += 1
        self.live[arrival.consumer] = Live(arrival.kind, arrival.type,
                                           arrival.request, chosen, names,
                                           self._order)
        self.sched.place(arrival.consumer, chosen.host, names,
                         [key for key, _size in chosen.claims])
        if arrival.lifetime is not None:
            self.env.timeout(arrival.lifetime).callbacks.append(
                functools.partial(self._expire, arrival.consumer))

    def _log(self, arrival, placed, refused):
        if self.log is not None:
            self.log.append(Decision(
                arrival.time, arrival.consumer, arrival.kind,
                placed.host if placed else None,
                tuple(key for key, _s, _d in placed.placements)
                if placed else (), refused))

    def _record(self, kind, placed):
        size = sum(size for _key, size, _d in placed.placements)
        cost = sum(self._costs[key] * s for key, s, _d in
                   placed.placements) / size
        self.rec.accept(kind, self.env.now,
                        adapter.TIER_NAMES[placed.distance], cost, size)

    def _expire(self, consumer, _event=None):
        found = self.live.pop(consumer, None)
        if found is not None:
            self.sched.release(found.held)
            self.sched.forget(consumer, found.volumes)

    def _adopt(self, existing, infos):
        """Count a consumer that holds space already (its space is in
        the rows' usage); *infos* are the site's pools by key."""
        claims = [(key, size) for _name, key, size in existing.volumes]
        hosts = {infos[key].host for key, _size in claims
                 if infos[key].scope == 'host'}
        host = hosts.pop() if len(hosts) == 1 else None
        request = {'flavor': {}, 'hints': {}, 'args': {
            'locality': 'any', 'volumes': [
                {'size': size, 'drivers': [infos[key].driver]}
                for _name, key, size in existing.volumes]}}
        self._order += 1
        names = [name for name, _key, _size in existing.volumes]
        self.live[existing.consumer] = Live(
            EXISTING, 'boot', request, adapter.Held(host, claims), names,
            self._order)
        self.sched.place(existing.consumer, host, names,
                         [key for key, _size in claims])

    # -- what-ifs ----------------------------------------------------------

    def _what_if(self, whatif):
        when = whatif.at(self.workload.duration)
        if when > self.env.now:
            yield self.env.timeout(when - self.env.now)
        if whatif.action == 'add':
            self._add(whatif)
        else:
            self._move(whatif)

    def _add(self, whatif):
        taken = {h.name for h in self._hosts}
        names, number = [], 0
        while len(names) < whatif.count:
            number += 1
            name = '%s-add%d' % (whatif.name, number)
            if name not in taken:
                names.append(name)
        hosts, pools = adapter.cloned_rows(self._hosts, self.site.pools,
                                           whatif.name, names)
        self._hosts.extend(hosts)
        self.sched.add(hosts, pools)
        infos = adapter.pool_infos(pools)
        self._costs.update((info.key, info.cost) for info in infos)
        self.rec.set_pools(self.rec.infos + infos, self._usable())
        self.outcomes.append({'what_if': whatif.label, 'time': self.env.now,
                              'hosts': names, 'pools': len(pools)})

    def _move(self, whatif):
        drain = whatif.action == 'drain'
        places = adapter.host_places(self._hosts)
        hosts = whatif.hosts(places)
        shared = whatif.shared(self.rec.infos, places)
        self.sched.set_state(hosts, shared,
                             'disabled' if drain else 'down')
        gone = set(hosts)
        keys = set(shared) | {info.key for info in self.rec.infos
                              if info.scope == 'host' and info.host in gone}
        self.rec.take_out(keys)
        affected = sorted(
            (item for item in self.live.items()
             if any(key in keys for key, _size in item[1].held.claims)),
            key=lambda item: (item[1].type != 'boot', item[1].order))
        moved, failed = 0, []
        for consumer, live in affected:
            if not drain:
                self.sched.release(live.held)
                self.sched.forget(consumer, live.volumes)
            spec = adapter.build_spec(live.request, consumer)
            candidates, refusal = self.sched.select(spec)
            held = self.sched.reserve(candidates, 1) if candidates else []
            if held:
                if drain:
                    self.sched.release(live.held)
                live.held = held[0]
                self.sched.place(consumer, held[0].host, live.volumes,
                                 [key for key, _size in held[0].claims])
                moved += 1
                continue
            refusal = refusal or adapter.Refusal('reserve', 'no candidate '
                                                 'could be reserved', '')
            failed.append({
                'consumer': consumer, 'kind': live.kind,
                'volumes': [{'name': name, 'pool': key, 'size': size}
                            for name, (key, size) in zip(
                                live.volumes, live.held.claims,
                                strict=True)],
                'blocked_by': refusal.blocked_by, 'reason': refusal.reason,
                'explanation': refusal.summary})
            if not drain:
                del self.live[consumer]
        self.outcomes.append({
            'what_if': whatif.label, 'time': self.env.now,
            'hosts': hosts, 'shared_pools': sorted(shared),
            'consumers': len(affected), 'moved': moved,
            'failed' if drain else 'lost': failed})


def arrivals_of(workload: workload_mod.Workload, seed: int) -> list:
    """The workload's arrivals as a list (shared by every run)."""
    return list(workload.arrivals(seed))

