# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Weighing the feasible pairs and taking the best, exactly.

:class:`Ranker` scores every surviving pair of a volume with every
weigher (vectorised where the weigher offers
:meth:`~brick.scheduler.weighers.base.BaseWeigher.weigh_all`), sums the
weighted scores per precedence level and takes the best ``k`` with
:func:`top` (``numpy.partition`` level by level, ties by host name then
pool key): linear in the number of pairs, never a full sort.

Scores are rounded to 9 decimals (:func:`rounded`) before they are
compared, so that candidates equal up to float noise tie and fall back
on names.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING
from typing import Any

import numpy as np

from brick.scheduler import candidate as cand
from brick.scheduler import state as st
from brick.scheduler.weighers import base as weigher_base

if TYPE_CHECKING:  # annotations only: no import cycle at run time
    from brick.scheduler import context as context_mod
    from brick.scheduler import explanation as explanation_mod
    from brick.scheduler import pairs as pairs_mod
    from brick.scheduler import settings as settings_mod


def rounded(values):
    """Scores as ranking compares them."""
    return np.round(values, 9)


def top(keys, k, tie):
    """Positions of the *k* best, best first.

    :param keys: float arrays of one length, most significant first,
        larger better; compared :func:`rounded` (only the positions that
        reach a key are rounded).
    :param k: how many.
    :param tie: ``tie(positions) -> int array``, smaller first, for
        candidates equal on every key.
    """
    count = len(keys[0]) if keys else len(tie(None))
    positions = None            # None: every position
    chosen = []
    need = k
    for key in keys:
        left = count if positions is None else len(positions)
        if need <= 0 or left <= need:
            break
        values = rounded(key if positions is None else key[positions])
        best = values.max()
        at_best = values == best
        if np.count_nonzero(at_best) >= need:
            # The commonest case (cost first: many pools share the
            # lowest cost): no partition needed.
            kth, above = best, None
        else:
            cut = len(values) - need
            kth = np.partition(values, cut)[cut]
            above = np.flatnonzero(values > kth)
            if positions is not None:
                above = positions[above]
            chosen.append(above)
            need -= len(above)
        same = np.flatnonzero(values == kth)
        positions = same if positions is None else positions[same]
    if positions is None:
        positions = np.arange(count)
    if need <= 0:
        positions = positions[:0]
    elif len(positions) > need:
        ties = tie(positions)
        positions = positions[np.argpartition(ties, need - 1)[:need]]
    final = np.concatenate(chosen + [positions])
    order = np.lexsort([tie(final)] + [-rounded(key[final])
                                       for key in reversed(keys)])
    return final[order]


def total(parts, k):
    """Pair *k*'s score: every weighted score summed, in weigher order."""
    return float(sum(float(values[k]) for _name, values in parts))


class Ranker:
    """Ranks one decision's survivors.

    :param ctx: the :class:`~brick.scheduler.context.Context`.
    :param weighers: the weigher plugins.
    :param settings: the :class:`~brick.scheduler.settings.Settings`.
    :param explanation: the decision's explanation.
    """

    def __init__(self, ctx: 'context_mod.Context',
                 weighers: Sequence[weigher_base.BaseWeigher],
                 settings: 'settings_mod.Settings',
                 explanation: 'explanation_mod.Explanation') -> None:
        self.ctx = ctx
        self.settings = settings
        self.explanation = explanation
        active = [(w, settings.multiplier(w.name)) for w in weighers]
        self.weighers = [(w, m) for w, m in active if m]
        self.levels = sorted({settings.level(w) for w, _ in self.weighers},
                             reverse=True)
        self.want = max(settings.max_results, settings.host_subset_size)

    def weigh(self, index, pairs):
        """Score the pairs of volume *index*.

        :returns: ``(levels, parts)``: the summed weighted scores per
            precedence level (highest first) and ``[(weigher name,
            weighted scores)]``; a pair's total is :func:`total`.
        """
        volume = self.ctx.request.volumes[index]
        levels = {}
        parts = []
        for weigher, multiplier in self.weighers:
            raw = weigher.weigh_all(self.ctx, volume, pairs)
            if raw is None:
                raw = np.fromiter(
                    (weigher.weigh(self.ctx, *pairs.objects(i), volume)
                     for i in range(len(pairs))), dtype=float,
                    count=len(pairs))
            values = multiplier * weigher_base.normalize_all(
                raw, weigher.minval, weigher.maxval)
            parts.append((weigher.name, values))
            level = self.settings.level(weigher)
            levels[level] = values if level not in levels else \
                levels[level] + values
        return [levels.get(level, np.zeros(len(pairs)))
                for level in self.levels], parts

    def rank(self, found: 'Sequence[pairs_mod.Pairs]'
             ) -> cand.Ranking[Any]:
        """Return a :class:`~brick.scheduler.candidate.Ranking` of the
        survivors *found* (per volume :class:`Pairs`)."""
        if len(found) == 1:
            return self._single(found[0])
        return self._multi(found)

    # -- one volume: candidates are pools ---------------------------------

    def _single(self, pairs):
        keys, parts = self.weigh(0, pairs)
        cols = self.ctx.cache.columns
        names = cols.host_name_rank()
        pool_keys = cols.pool_key_rank()
        span = np.int64(max(1, len(pool_keys)))

        def tie(positions):
            if positions is None:
                return np.zeros(len(pairs), dtype=np.int64)
            return names[pairs.hosts[positions]] * span + \
                pool_keys[pairs.pools[positions]]
        order = top(keys, self.want, tie).tolist()
        size = self.ctx.request.volumes[0].size

        def build(k):
            host, pool = pairs.objects(k)
            placement = _placement(0, size, pool, pairs, parts, k)
            return cand.Candidate(host.name, (placement,), placement.score,
                                  placement.breakdown)
        return cand.Ranking(order, build, total=len(pairs))

    # -- several volumes: candidates are hosts ----------------------------

    def _multi(self, found):
        ctx = self.ctx
        options = [{} for _ in found]
        for index, pairs in enumerate(found):
            levels, parts = self.weigh(index, pairs)
            keys = [rounded(level) for level in levels]
            size = ctx.request.volumes[index].size
            for k in range(len(pairs)):
                host, pool = pairs.objects(k)
                placement = _placement(index, size, pool, pairs, parts, k)
                key = tuple(-float(level[k]) for level in keys)
                options[index].setdefault(host.name, []).append(
                    (key, pool.key, placement, [float(level[k])
                                                for level in levels]))
        hosts = [name for name in options[0]
                 if all(name in opts for opts in options)]
        volumes = ctx.request.volumes
        order = sorted(range(len(volumes)), key=lambda i: -volumes[i].size)
        candidates = []
        for name in hosts:
            chosen, reason = _assign(ctx, name, order, options)
            if reason is not None:
                self.explanation.dropped[name] = reason
                continue
            placements = [entry[2] for entry in chosen]
            weighers = {key for p in placements for key in p.breakdown}
            candidate = cand.Candidate(
                name, tuple(placements),
                sum(p.score for p in placements) / len(placements),
                {key: sum(p.breakdown.get(key, 0.0) for p in placements)
                 / len(placements) for key in weighers})
            means = [sum(entry[3][i] for entry in chosen) / len(chosen)
                     for i in range(len(self.levels))]
            candidates.append((tuple(-float(v) for v in rounded(
                np.array(means))), name, candidate.pools, candidate))
        candidates.sort(key=lambda entry: entry[:3])
        return cand.Ranking([entry[3] for entry in candidates],
                            lambda candidate: candidate,
                            total=len(candidates))


def _placement(index, size, pool, pairs, parts, k):
    """The :class:`~brick.scheduler.candidate.Placement` of volume
    *index* (of *size*) in *pool*, pair *k* of *pairs*, scored by
    *parts* (see :meth:`Ranker.weigh`)."""
    return cand.Placement(
        volume=index, pool=pool.key, pool_id=pool.id,
        size=st.charge(pool, size), distance=int(pairs.distance[k]),
        score=total(parts, k),
        breakdown={name: float(values[k]) for name, values in parts})


def _assign(ctx, host, order, options):
    """Give each volume (in *order*) its best placement on *host* that
    fits beside the others; return ``(entries, None)`` or
    ``(None, reason)``."""
    cache, policy = ctx.cache, ctx.request.group_policy
    taken, domains, added, chosen = {}, [], {}, {}
    for index in order:
        pick = None
        for entry in sorted(options[index][host], key=lambda e: e[:2]):
            placement = entry[2]
            pool = cache.pools[placement.pool]
            if taken.get(pool.key, 0) + placement.size > pool.free:
                continue
            if policy == 'anti-affinity' and pool.domain in domains:
                continue
            if policy == 'affinity' and domains and pool.domain != domains[0]:
                continue
            if ctx.max_volumes and pool.scope == 'host':
                owner = cache.hosts[pool.host]
                if owner.volumes + added.get(pool.host, 0) >= ctx.max_volumes:
                    continue
            pick = entry
            break
        if pick is None:
            return None, (
                'volume %d does not fit beside volume(s) %s (free space, '
                'group_policy %s or the volume limit)' % (
                    index + 1, ', '.join(str(i + 1) for i in chosen) or '-',
                    policy))
        pool = cache.pools[pick[2].pool]
        taken[pool.key] = taken.get(pool.key, 0) + pick[2].size
        domains.append(pool.domain)
        if pool.scope == 'host':
            added[pool.host] = added.get(pool.host, 0) + 1
        chosen[index] = pick
    return [chosen[index] for index in sorted(chosen)], None
