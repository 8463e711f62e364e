# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Why a decision came out as it did.

An :class:`Explanation` records, for the widest locality tier searched:

* what the request's pairing resolved to and which index each volume's
  search read (``notes``);
* per filter, how many candidates reached it, how many it removed and
  its commonest reasons (:class:`FilterStats`); a reason's kind is the
  text before its first colon;
* the ranked candidates with their score breakdown;
* for any host, why it lost (:meth:`Explanation.why`): ranked N with
  its scores, dropped while assembling a multi-volume candidate, removed
  by a filter with the reason, or, for a host the search never read, the
  filters evaluated against it on the spot.

:exc:`brick.exception.NoValidHost` carries one, so a "no valid host" is
never bare; its message is :meth:`Explanation.summary`.
"""

import collections
import dataclasses

from brick.scheduler import request as request_mod

MAX_REASONS = 3
"""Reasons kept per host and shown per filter."""


@dataclasses.dataclass
class FilterStats:
    name: str
    examined: int = 0
    removed: int = 0
    reasons: collections.Counter = dataclasses.field(
        default_factory=collections.Counter)
    examples: dict = dataclasses.field(default_factory=dict)
    """``{kind: first full reason}``."""

    @property
    def kept(self):
        return self.examined - self.removed

    def top(self, count=MAX_REASONS):
        """The commonest reasons: ``[(kind, times, example)]``."""
        return [(kind, times, self.examples[kind])
                for kind, times in self.reasons.most_common(count)]


@dataclasses.dataclass
class Stage:
    tier: int
    examined: int = 0
    feasible: int = 0
    candidates: int = 0

    @property
    def name(self):
        return request_mod.TIER_NAMES[self.tier]


def kind_of(reason):
    return reason.split(':', 1)[0]


class Explanation:
    """Filled by the selector during one decision; read afterwards."""

    def __init__(self, request, filter_names):
        self.request = request
        self.filter_names = tuple(filter_names)
        self.notes = []
        self.stages = []
        self.filters = []
        self.rejections = {}
        """``{host: [(volume, pool key, filter, reason)]}``, by consumer
        host and by the pool's own host."""
        self.dropped = {}
        """``{host: reason}``: every volume passed the filters on the
        host, but not all of them together."""
        self.excluded = []
        """``[(filter, index label, pools, reason)]``: indexes a filter
        ruled out without reading them."""
        self.candidates = []
        """Every ranked candidate, best first (a decision returns the
        first ``max_results``)."""
        self.evaluate = None
        """``evaluate(host name) -> [(volume, pool key, filter, reason)]``
        for hosts the search never read (set by the selector)."""

    # -- recording -------------------------------------------------------

    def start_stage(self, tier):
        self.stages.append(Stage(tier))
        self.filters = [FilterStats(name) for name in self.filter_names]
        self.rejections = {}
        self.dropped = {}
        self.excluded = []

    def exclude(self, filter_name, label, count, reason):
        """Filter *filter_name* ruled out a whole index at once."""
        entry = (filter_name, label, count, reason)
        if entry not in self.excluded:
            self.excluded.append(entry)

    def reject(self, volume, host, pool, index, reason):
        stats = self.filters[index]
        stats.removed += 1
        kind = kind_of(reason)
        stats.reasons[kind] += 1
        stats.examples.setdefault(kind, reason)
        entry = (volume, pool.key, stats.name, reason)
        for name in {host.name, pool.host or pool.key}:
            found = self.rejections.setdefault(name, [])
            if len(found) < MAX_REASONS:
                found.append(entry)

    # -- reading ---------------------------------------------------------

    @property
    def stage(self):
        return self.stages[-1] if self.stages else None

    def why(self, host):
        """Say why *host* won or lost, in one paragraph."""
        for candidate in self.candidates:
            if candidate.host == host or any(
                    key == host or key.startswith('host:%s/' % host)
                    for key in candidate.pools):
                return 'ranked %d of %d: %s' % (
                    candidate.rank, len(self.candidates),
                    candidate.describe())
        if host in self.dropped:
            return 'dropped: %s' % self.dropped[host]
        if host in self.rejections:
            return 'filtered: ' + '; '.join(
                _rejection(entry) for entry in self.rejections[host])
        found = self.evaluate(host) if self.evaluate else None
        if found is None:
            return 'unknown host %s' % host
        if found:
            return 'not read by the search; evaluated now: ' + '; '.join(
                _rejection(entry) for entry in found[:MAX_REASONS])
        return ('not reached: the search stopped after '
                '[brick_scheduler]max_considered candidates, or the host '
                'has no pool of the right driver, tags or place')

    def summary(self):
        """One paragraph: the request, the tiers, each filter that removed
        something with its commonest reasons."""
        parts = [self.request.summary()]
        if self.stages:
            parts.append('searched %s' % ', then '.join(
                '%s (%d candidates)' % (s.name, s.candidates)
                for s in self.stages))
        parts.extend(self.notes)
        for stats in self.filters:
            if stats.removed:
                reasons = '; '.join('%s x%d, e.g. %s' % (kind, times,
                                                          example)
                                    for kind, times, example in stats.top())
                parts.append('%s removed %d of %d (%s)' % (
                    stats.name, stats.removed, stats.examined, reasons))
        if self.dropped:
            host, reason = sorted(self.dropped.items())[0]
            parts.append('%d host(s) could not take every volume together, '
                         'e.g. %s: %s' % (len(self.dropped), host, reason))
        for name, label, count, reason in self.excluded:
            parts.append('%s ruled out %s (%d pools) at once: %s' % (
                name, label, count, reason))
        if self.stage is not None and not self.stage.examined and \
                not self.excluded:
            parts.append('no pool matched the indexes (driver, tags, place)')
        return '; '.join(parts)

    def as_dict(self):
        """Plain data for the CLI and logs."""
        return {
            'request': self.request.summary(),
            'notes': list(self.notes),
            'stages': [dataclasses.asdict(s) | {'name': s.name}
                       for s in self.stages],
            'filters': [{'name': s.name, 'examined': s.examined,
                         'removed': s.removed,
                         'reasons': [{'kind': k, 'count': n, 'example': e}
                                     for k, n, e in s.top()]}
                        for s in self.filters],
            'candidates': [c.as_dict() for c in self.candidates],
            'dropped': dict(self.dropped),
            'excluded': [{'filter': f, 'index': label, 'pools': count,
                          'reason': reason}
                         for f, label, count, reason in self.excluded],
        }

    def __str__(self):
        lines = [self.summary()]
        lines.extend('  %d. %s' % (c.rank, c.describe())
                     for c in self.candidates)
        return '\n'.join(lines)


def _rejection(entry):
    volume, pool, filter_name, reason = entry
    return 'volume %d in %s removed by %s (%s)' % (volume + 1, pool,
                                                   filter_name, reason)
