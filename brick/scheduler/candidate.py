# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""What a decision returns: ranked candidates, each a consumer host and
a pool for every volume."""

import collections.abc
import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING
from typing import Any
from typing import Generic
from typing import TypeVar
from typing import overload

from brick import units

if TYPE_CHECKING:  # explanation imports this module's users
    from brick.scheduler import explanation as explanation_mod

Entry = TypeVar('Entry')


@dataclasses.dataclass(frozen=True)
class Placement:
    """One volume of the request in one pool."""

    volume: int
    """Index of the volume in :attr:`RequestSpec.volumes`."""
    pool: str
    """The pool's key (:attr:`PoolState.key`)."""
    pool_id: int | None
    """The pool's id in the inventory (None when not from a store)."""
    size: int
    """Bytes to reserve: the volume's size rounded to the pool's step."""
    distance: int
    """From the consumer host: 0 same host ... 3 farther than a zone."""
    score: float
    breakdown: dict[str, float]
    """``{weigher: multiplier * normalised score}``."""


@dataclasses.dataclass
class Candidate:
    """Where the consumer runs and where each of its volumes goes."""

    host: str
    """The host the consumer (instance) runs on and attaches from."""
    placements: tuple[Placement, ...]
    """One :class:`Placement` per volume, in request order."""
    score: float
    """Mean of the placements' scores; higher ranks first."""
    breakdown: dict[str, float]
    """Mean contribution of each weigher."""
    rank: int = 0
    """1 for the choice, 2 for the first alternate, ..."""

    @property
    def pools(self) -> tuple[str, ...]:
        return tuple(placement.pool for placement in self.placements)

    @property
    def distance(self) -> int:
        return max(placement.distance for placement in self.placements)

    def describe(self) -> str:
        parts = ', '.join('%s=%.3f' % item
                          for item in sorted(self.breakdown.items()))
        where = ', '.join('%s (%s)' % (p.pool, units.human(p.size))
                          for p in self.placements)
        return 'host %s: %s; score %.3f [%s]' % (self.host, where,
                                                 self.score, parts)

    def as_dict(self) -> dict[str, Any]:
        return {'rank': self.rank, 'host': self.host,
                'score': round(self.score, 6),
                'breakdown': {k: round(v, 6)
                              for k, v in sorted(self.breakdown.items())},
                'placements': [{'volume': p.volume, 'pool': p.pool,
                                'size': p.size, 'distance': p.distance}
                               for p in self.placements]}


class Ranking(collections.abc.Sequence[Candidate], Generic[Entry]):
    """The best candidates in rank order, each built when first read: a
    decision ranks every feasible pair but keeps and builds a handful.

    :param entries: what *build* needs per candidate, best first.
    :param build: ``build(entry) -> Candidate``.
    """

    def __init__(self, entries: list[Entry],
                 build: Callable[[Entry], Candidate],
                 total: int | None = None) -> None:
        self._entries = entries
        self._build = build
        self._built: dict[int, Candidate] = {}
        self.total = len(entries) if total is None else total
        """Feasible candidates in all (only the best are kept)."""

    def __len__(self) -> int:
        return len(self._entries)

    @overload
    def __getitem__(self, position: int) -> Candidate: ...

    @overload
    def __getitem__(self, position: slice) -> list[Candidate]: ...

    def __getitem__(self, position: int | slice
                    ) -> Candidate | list[Candidate]:
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(len(self)))]
        if position < 0:
            position += len(self)
        found = self._built.get(position)
        if found is None:
            found = self._build(self._entries[position])
            found.rank = position + 1
            self._built[position] = found
        return found

    def promote(self, position: int) -> None:
        """Move the entry at *position* to the front (before any is
        read)."""
        self._entries.insert(0, self._entries.pop(position))


@dataclasses.dataclass
class Decision:
    """The ranked candidates (best first) and why."""

    candidates: list[Candidate]
    explanation: 'explanation_mod.Explanation'
    """The :class:`~brick.scheduler.explanation.Explanation`."""

    @property
    def best(self) -> Candidate:
        return self.candidates[0]
