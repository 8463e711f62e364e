# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Why a decision came out as it did.

An :class:`Explanation` records, for the widest locality tier searched:

* what the request's pairing resolved to (``notes``);
* per filter, how many pools it removed (a shared pool counts once,
  however many hosts share it), up to :data:`MAX_NAMED` of them by name
  with the filter's reason, and the kinds of reason
  (:class:`FilterStats`); a reason's kind is the text before its first
  colon;
* the ranked candidates with their score breakdown;
* when nothing fitted: how many pools would have fitted at each wider
  locality tier, and which spec allows it (``wider``), and, for a tag no
  pool carries, that tag;
* for any host or pool, why it lost (:meth:`Explanation.why`): ranked N
  with its scores, dropped while assembling a multi-volume candidate, or
  the filters evaluated against it on the spot.

:exc:`brick.exception.NoValidHost` carries one, so a "no valid host" is
never bare; its message is :meth:`Explanation.summary`.
"""

import collections
import dataclasses
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from typing import Any
from typing import TypeAlias

from brick.scheduler import candidate as candidate_mod
from brick.scheduler import request as request_mod

MAX_REASONS = 3
"""Reasons shown per filter and per host."""
MAX_NAMED = 5
"""Pools named per filter."""

Rejection: TypeAlias = tuple[int, str, str | None, str]
"""``(volume index, pool key, filter name, reason)``."""


@dataclasses.dataclass
class FilterStats:
    name: str | None
    """The filter's entry-point name (None: not loaded as a plugin)."""
    examined: int = 0
    """Pools that reached the filter."""
    removed: int = 0
    """Pools it removed."""
    pairs: int = 0
    """(host, pool) pairs it removed (more than pools only for
    multi-volume requests, whose candidates pair every host)."""
    reasons: collections.Counter[str] = dataclasses.field(
        default_factory=collections.Counter)
    """Kinds of reason among the removals asked (the first
    :data:`brick.scheduler.search.SAMPLE`)."""
    examples: dict[str, str] = dataclasses.field(default_factory=dict)
    """``{kind: first full reason}``."""
    named: list[str] = dataclasses.field(default_factory=list)
    """Keys of the first pools removed, up to :data:`MAX_NAMED`."""

    @property
    def kept(self) -> int:
        return self.examined - self.removed

    def top(self, count: int = MAX_REASONS) -> list[tuple[str, int, str]]:
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
    def name(self) -> str:
        return request_mod.TIER_NAMES[self.tier]


def kind_of(reason: str) -> str:
    return reason.split(':', 1)[0]


class Explanation:
    """Filled by the selector during one decision; read afterwards."""

    def __init__(self, request: request_mod.RequestSpec,
                 filter_names: Iterable[str | None]) -> None:
        self.request = request
        self.filter_names = tuple(filter_names)
        self.notes: list[str] = []
        self.stages: list[Stage] = []
        self.filters: list[FilterStats] = []
        self.dropped: dict[str, str] = {}
        """``{host: reason}``: every volume passed the filters on the
        host, but not all of them together."""
        self.candidates: Sequence[candidate_mod.Candidate] = []
        """The best ranked candidates, best first (a decision returns
        the first ``max_results``); ``candidates.total`` counts every
        feasible one."""
        self.wider: dict[int, int] = {}
        """``{tier: pools that would pass there}`` for the tiers wider
        than the request allows (set when nothing fitted)."""
        self.derived = False
        """True when the request named no consumer host."""
        self.unknown_tags: tuple[str, ...] = ()
        """Required tags no pool carries (set when nothing fitted)."""
        self.known_tags: tuple[str, ...] = ()
        self.evaluate: Callable[[str], list[Rejection] | None] | None = None
        """``evaluate(name) -> [(volume, pool key, filter, reason)]``
        for a host or pool (set by the selector)."""

    # -- recording -------------------------------------------------------

    def start_stage(self, tier: int) -> None:
        self.stages.append(Stage(tier))
        self.filters = [FilterStats(name) for name in self.filter_names]
        self.dropped = {}

    def reach(self, index: int, pools: int) -> None:
        """*pools* pools reached filter number *index*."""
        self.filters[index].examined += pools

    def reject(self, volume: int, index: int, pools: int, pairs: int,
               examples: Iterable[tuple[str, str]]) -> None:
        """Filter number *index* removed *pools* pools (*pairs* pairs) of
        volume *volume*; *examples* are ``[(pool key, reason)]`` of the
        first of them."""
        stats = self.filters[index]
        stats.removed += pools
        stats.pairs += pairs
        for key, reason in examples:
            kind = kind_of(reason)
            stats.reasons[kind] += 1
            stats.examples.setdefault(kind, reason)
            if len(stats.named) < MAX_NAMED and key not in stats.named:
                stats.named.append(key)

    # -- reading ---------------------------------------------------------

    @property
    def stage(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    def why(self, name: str) -> str:
        """Say why host or pool *name* won or lost, in one paragraph."""
        for candidate in self.candidates:
            # With no consumer named, a shared pool's host only stands
            # for the hosts sharing it.
            stands_in = self.derived and len(candidate.placements) == 1 \
                and not candidate.pools[0].startswith('host:')
            if (candidate.host == name and not stands_in) or any(
                    key == name or key.startswith('host:%s/' % name)
                    for key in candidate.pools):
                # A Ranking counts every feasible candidate, not only
                # those it kept.
                total = getattr(self.candidates, 'total',
                                len(self.candidates))
                return 'ranked %d of %d: %s' % (
                    candidate.rank, total, candidate.describe())
        if name in self.dropped:
            return 'dropped: %s' % self.dropped[name]
        found = self.evaluate(name) if self.evaluate else None
        if found is None:
            return 'unknown host or pool %s' % name
        if found:
            return 'filtered: ' + '; '.join(
                _rejection(entry) for entry in found[:2 * MAX_REASONS])
        return ('passed every filter, ranked below the %d candidates '
                'kept' % len(self.candidates))

    def summary(self) -> str:
        """One paragraph: the request, the tiers, each filter that removed
        something with its commonest reasons and the pools it named,
        and what would have fitted."""
        parts = [self.request.summary()]
        if self.stages:
            parts.append('searched %s' % ', then '.join(
                '%s (%d pools examined, %d candidates)' % (
                    s.name, s.examined, s.candidates) for s in self.stages))
        parts.extend(self.notes)
        for stats in self.filters:
            if stats.removed:
                # Reasons are asked of the first removals only: counts
                # are shown when they cover every removal.
                exact = sum(stats.reasons.values()) == stats.pairs
                reasons = '; '.join('%s%s, e.g. %s' % (
                    kind, ' x%d' % times if exact else '', example)
                    for kind, times, example in stats.top())
                more = stats.removed - len(stats.named)
                parts.append('%s removed %d of %d pools: %s%s (%s)' % (
                    stats.name, stats.removed, stats.examined,
                    ', '.join(stats.named),
                    ' and %d more' % more if more > 0 else '', reasons))
        if self.dropped:
            host, reason = sorted(self.dropped.items())[0]
            parts.append('%d host(s) could not take every volume together, '
                         'e.g. %s: %s' % (len(self.dropped), host, reason))
        if self.stage is not None and not self.stage.examined:
            request = self.request
            if request.rack is not None:
                parts.append('no pool of the inventory is in rack %s (a '
                             'pool shared by a whole zone is in no rack)'
                             % request.rack)
            elif request.availability_zone is not None:
                parts.append('no pool of the inventory is in availability '
                             'zone %s' % request.availability_zone)
            else:
                parts.append('no pool to examine: the inventory has no '
                             'pool usable from the consumer hosts')
        parts.extend(self._unknown_tags())
        for tier, count in sorted(self.wider.items()):
            if count:
                name = request_mod.TIER_NAMES[tier]
                parts.append(
                    '%d pool(s) would fit at locality %s: allow it with '
                    'brick:locality=%s (or brick:locality_mode=preferred '
                    'with brick:locality_max=%s), hint locality=%s or '
                    'argument locality=%s' % (count, name, name, name,
                                              name, name))
                break
        return '; '.join(parts)

    def _unknown_tags(self) -> list[str]:
        if not self.unknown_tags:
            return []
        return ['the tags filter removed every pool: no pool of the '
                'inventory carries tag %s (tags in use: %s)' % (
                    ', '.join(sorted(self.unknown_tags)),
                    ', '.join(sorted(self.known_tags)) or 'none')]

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the CLI and logs."""
        return {
            'request': self.request.summary(),
            'notes': list(self.notes),
            'stages': [dataclasses.asdict(s) | {'name': s.name}
                       for s in self.stages],
            'filters': [{'name': s.name, 'examined': s.examined,
                         'removed': s.removed, 'named': list(s.named),
                         'reasons': [{'kind': k, 'count': n, 'example': e}
                                     for k, n, e in s.top()]}
                        for s in self.filters],
            'candidates': [c.as_dict() for c in self.candidates],
            'dropped': dict(self.dropped),
            'wider': {request_mod.TIER_NAMES[t]: n
                      for t, n in sorted(self.wider.items())},
        }

    def __str__(self) -> str:
        lines = [self.summary()]
        lines.extend('  %d. %s' % (c.rank, c.describe())
                     for c in self.candidates)
        return '\n'.join(lines)


def _rejection(entry: Rejection) -> str:
    volume, pool, filter_name, reason = entry
    return 'volume %d in %s removed by %s (%s)' % (volume + 1, pool,
                                                   filter_name, reason)
