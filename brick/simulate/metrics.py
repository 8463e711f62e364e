# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""What one configuration's run measures.

Per kind of request: arrivals, placements, refusals (with the filter
that blocked each and its commonest reason, from the decision's
explanation), requests skipped because the instance they pair with was
not running, the time of the first refusal, the locality tier each
placement got (its farthest volume: host, rack, zone or any) and the
cost paid (the chosen pools' ``cost`` times the GiB placed).

Sampled every ``sample_every`` seconds: utilization (used over capacity)
per zone, rack, pool tag and driver, and stranded capacity per kind:
free space in pools the kind can use (by driver, tags and format) that
is above zero but below the kind's median request, so that the median
request no longer fits there.  Pools of drained or failed hosts are out
of service and leave the stranded figures.  At the end, a histogram of
the free space of every pool in service.
"""

import collections

from brick import units

HISTOGRAM_BINS = 20
_GROUPS = ('zone', 'rack', 'driver', 'tag')


class Recorder:
    """Counts and samples of one run.

    :param kinds: kind names, in order.
    :param medians: ``{kind: median bytes of its first volume}``.
    :param window: seconds per acceptance window (= sample interval).
    :param duration: the run's length in seconds.
    """

    def __init__(self, kinds: list, medians: dict, window: float,
                 duration: float) -> None:
        self.kinds = list(kinds)
        self.medians = dict(medians)
        self.window = window
        slots = int(duration // window) + 1
        self.counts = {kind: collections.Counter() for kind in kinds}
        self.arrived = {kind: [0] * slots for kind in kinds}
        self.accepted = {kind: [0] * slots for kind in kinds}
        self.first_refusal = {kind: None for kind in kinds}
        self.locality = {kind: collections.Counter() for kind in kinds}
        self.cost = {kind: [0.0, 0] for kind in kinds}
        self.reasons = {kind: collections.Counter() for kind in kinds}
        self.examples = {}
        self.times = []
        self.utilization = {group: {} for group in _GROUPS}
        self.stranded = {kind: [] for kind in kinds}
        self.out = set()
        self.infos, self.usable = [], {}
        self._members = {}

    # -- the site ----------------------------------------------------------

    def set_pools(self, infos: list, usable: dict) -> None:
        """The pools (:class:`~brick.simulate.adapter.PoolInfo`, in the
        scheduler's order) and, per kind, which of them it can use."""
        self.infos = list(infos)
        self.usable = {kind: [i for i, ok in enumerate(flags) if ok]
                       for kind, flags in usable.items()}
        members = {group: {} for group in _GROUPS}
        for index, info in enumerate(self.infos):
            for group, names in (('zone', (info.zone,)),
                                 ('rack', (info.rack,)),
                                 ('driver', (info.driver,)),
                                 ('tag', info.tags)):
                for name in names:
                    if name is not None:
                        members[group].setdefault(name, []).append(index)
        self._members = {group: dict(sorted(found.items()))
                         for group, found in members.items()}

    def take_out(self, keys: set) -> None:
        """Pools *keys* left service (drained or failed hosts)."""
        wanted = set(keys)
        self.out.update(i for i, info in enumerate(self.infos)
                        if info.key in wanted)

    # -- events ------------------------------------------------------------

    def _slot(self, now):
        return min(int(now // self.window), len(next(iter(
            self.arrived.values()))) - 1)

    def arrive(self, kind: str, now: float) -> None:
        self.counts[kind]['requests'] += 1
        self.arrived[kind][self._slot(now)] += 1

    def skip(self, kind: str, now: float) -> None:
        """A request whose paired instance is not running: not counted
        as a request."""
        self.counts[kind]['requests'] -= 1
        self.counts[kind]['skipped'] += 1
        self.arrived[kind][self._slot(now)] -= 1

    def accept(self, kind: str, now: float, tier: str, cost: float,
               size: int) -> None:
        self.counts[kind]['accepted'] += 1
        self.accepted[kind][self._slot(now)] += 1
        self.locality[kind][tier] += 1
        self.cost[kind][0] += cost * size / units.Gi
        self.cost[kind][1] += size

    def refuse(self, kind: str, now: float, refusal: object) -> None:
        self.counts[kind]['refused'] += 1
        if self.first_refusal[kind] is None:
            self.first_refusal[kind] = now
        key = (refusal.blocked_by, refusal.reason)
        self.reasons[kind][key] += 1
        self.examples.setdefault((kind,) + key, refusal.summary)

    # -- samples -----------------------------------------------------------

    def sample(self, now: float, capacities: list, used: list) -> None:
        self.times.append(now)
        for group, members in self._members.items():
            series = self.utilization[group]
            for name, indexes in members.items():
                capacity = sum(capacities[i] for i in indexes)
                held = sum(used[i] for i in indexes)
                series.setdefault(name, [None] * (len(self.times) - 1))
                series[name].append(held / capacity if capacity else 0.0)
        out = self.out
        for kind, indexes in self.usable.items():
            median = self.medians[kind]
            total = 0
            for i in indexes:
                free = capacities[i] - used[i]
                if 0 < free < median and i not in out:
                    total += free
            self.stranded[kind].append(total)

    def histogram(self, capacities: list, used: list) -> dict:
        """Free space of the pools in service: ``{'edges', 'pools',
        'bytes'}``, edges in bytes up to the largest median; the last
        bin holds every pool with more."""
        top = max(self.medians.values(), default=units.Gi) or units.Gi
        step = max(1, -(-top // HISTOGRAM_BINS))
        edges = [step * i for i in range(HISTOGRAM_BINS + 1)]
        pools = [0] * (HISTOGRAM_BINS + 1)
        held = [0] * (HISTOGRAM_BINS + 1)
        for i, capacity in enumerate(capacities):
            free = max(0, capacity - used[i])
            if i in self.out or not free:
                continue
            slot = min(HISTOGRAM_BINS, free // step)
            pools[slot] += 1
            held[slot] += free
        return {'edges': edges, 'pools': pools, 'bytes': held}

    # -- result ------------------------------------------------------------

    def kinds_result(self) -> dict:
        found = {}
        for kind in self.kinds:
            counts = self.counts[kind]
            decided = counts['accepted'] + counts['refused']
            cost, size = self.cost[kind]
            reasons = [{'blocked_by': blocked, 'reason': reason,
                        'count': count,
                        'example': self.examples[(kind, blocked, reason)]}
                       for (blocked, reason), count in sorted(
                           self.reasons[kind].items(),
                           key=lambda item: (-item[1], item[0]))]
            found[kind] = {
                'requests': counts['requests'],
                'accepted': counts['accepted'],
                'refused': counts['refused'],
                'skipped': counts['skipped'],
                'acceptance': counts['accepted'] / decided if decided
                else None,
                'first_refusal': self.first_refusal[kind],
                'locality': {tier: self.locality[kind][tier] for tier in
                             ('host', 'rack', 'zone', 'any')},
                'cost_paid': cost,
                'cost_per_gib': cost * units.Gi / size if size else None,
                'placed_bytes': size,
                'median_size': self.medians[kind],
                'stranded_end': self.stranded[kind][-1]
                if self.stranded[kind] else 0,
                'reasons': reasons}
        return found

    def acceptance(self) -> dict:
        """Acceptance per sample time, overall and per kind: cumulative
        (``overall``, ``by_kind``: placed over requests since the start)
        and per window (``window``, ``window_by_kind``: in the interval
        ending at that sample)."""
        def curve(kinds):
            done, good, found = 0, 0, []
            for index in range(len(self.times)):
                # The sample at time i * window counts the windows
                # before it.
                for kind in kinds:
                    if index:
                        done += self.arrived[kind][index - 1]
                        good += self.accepted[kind][index - 1]
                found.append(good / done if done else None)
            return found
        def window(kinds):
            found = [None]
            for index in range(1, len(self.times)):
                done = sum(self.arrived[k][index - 1] for k in kinds)
                good = sum(self.accepted[k][index - 1] for k in kinds)
                found.append(good / done if done else None)
            return found
        return {'overall': curve(self.kinds),
                'by_kind': {kind: curve([kind]) for kind in self.kinds},
                'window': window(self.kinds),
                'window_by_kind': {kind: window([kind])
                                   for kind in self.kinds}}
