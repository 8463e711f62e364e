# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Choosing where a request's volumes go: filters, then weighers.

:meth:`Selector.select` resolves the request's pairing
(:class:`~brick.scheduler.context.Context`), searches the feasible
(host, pool) pairs tier by tier (:class:`~brick.scheduler.search.Search`;
``required`` locality searches its tier only, ``preferred`` widens to the
next tier while fewer than ``max_results`` candidates were found, up to
``locality_max``), weighs them and returns the ranked candidates with an
:class:`~brick.scheduler.explanation.Explanation`, or raises
:exc:`~brick.exception.NoValidHost` carrying it.

Weighing: every weigher scores every feasible pair of a volume; scores
are normalised to 0..1 over those pairs, multiplied by the weigher's
multiplier and summed.  A one-volume request's candidates are its pairs;
a multi-volume request's are one per consumer host, each volume (largest
first) taking its best pair on that host that still fits beside the
ones already taken, under ``group_policy`` and the volume limit, scored
by the mean.

Ties: candidates are sorted by score rounded to 9 decimals, then host
name, then pool keys, so equal candidates always come out in the same
order.  With ``host_subset_size`` N > 1 the choice is drawn at random
among the N best (as Nova does, so that concurrent schedulers collide
less), from a generator seeded by ``Settings.seed``; the others keep their
order.
"""

import functools
import random
import threading

from oslo_log import log as logging

from brick import exception
from brick.scheduler import candidate as cand
from brick.scheduler import context as context_mod
from brick.scheduler import explanation as expl_mod
from brick.scheduler import filters as filters_mod
from brick.scheduler import search as search_mod
from brick.scheduler import settings as settings_mod
from brick.scheduler import state as st
from brick.scheduler import weighers as weighers_mod
from brick.scheduler.weighers import base as weigher_base

LOG = logging.getLogger(__name__)


class Selector:
    """Makes placement decisions against a state cache.

    :param cache: the :class:`~brick.scheduler.cache.StateCache`.
    :param settings: :class:`~brick.scheduler.settings.Settings`; default
        ones if None.
    :param filters: filter plugin instances; None loads
        ``settings.enabled_filters``.
    :param weighers: weigher plugin instances; None loads
        ``settings.enabled_weighers``.
    :param locator: a :class:`~brick.scheduler.context.Locator` for
        pairing; None knows nothing (pairing then uses the inventory).
    :param source: where the cache refreshes from (``changes(marker)``);
        None: the caller refreshes it.
    """

    def __init__(self, cache, settings=None, filters=None, weighers=None,
                 locator=None, source=None):
        self.cache = cache
        self.settings = settings or settings_mod.Settings()
        self.filters = list(filters) if filters is not None else \
            filters_mod.load(self.settings.enabled_filters)
        self.weighers = list(weighers) if weighers is not None else \
            weighers_mod.load(self.settings.enabled_weighers)
        self.locator = locator
        self.source = source
        # Spreading load, not secrets: a seedable generator is right.
        self._random = random.Random(self.settings.seed)  # noqa: S311
        self.lock = threading.Lock()
        """Held by :meth:`select`, :meth:`claim` and :meth:`refresh`: the
        cache is shared state.  Hold it to change the cache directly."""

    @classmethod
    def from_conf(cls, conf, cache, **kwargs):
        """A selector configured by ``[brick_scheduler]`` of *conf*."""
        return cls(cache, settings_mod.Settings.from_conf(conf), **kwargs)

    def select(self, request):
        """Rank where *request*'s volumes can go.

        :param request: a :class:`~brick.scheduler.request.RequestSpec`.
        :returns: a :class:`~brick.scheduler.candidate.Decision` with at
            most ``max_results`` candidates, best first.
        :raises brick.exception.NoValidHost: nothing fits; its
            ``explanation`` says why.
        :raises brick.exception.NotFound: the instance or volume the
            request pairs with is unknown.
        :raises brick.exception.InvalidValue: the request has no volume.
        """
        if not request.volumes:
            raise exception.InvalidValue(
                field='request volumes', value='none',
                allowed='at least one volume (brick:local_gb above 0, or '
                        'a size)')
        with self.lock:
            return self._select(request)

    def refresh(self):
        """Refresh the cache from the source now.

        :returns: the :class:`~brick.scheduler.cache.RefreshStats`.
        """
        with self.lock:
            return self.cache.refresh(self.source)

    def _select(self, request):
        if self.source is not None:
            self.cache.refresh_if_due(self.source,
                                      self.settings.refresh_interval)
        ctx = context_mod.Context(request, self.cache, self.settings,
                                  self.locator)
        explanation = expl_mod.Explanation(request,
                                           [f.name for f in self.filters])
        explanation.notes.extend(ctx.notes)
        explanation.evaluate = functools.partial(self._evaluate, ctx)
        search = search_mod.Search(ctx, self.filters, explanation,
                                   self.settings)
        candidates = ()
        for tier in range(request.tier, request.widest_tier + 1):
            pairs = search.stage(tier)
            candidates = self._rank(ctx, pairs, explanation)
            explanation.stage.candidates = len(candidates)
            if len(candidates) >= self.settings.max_results:
                break
        search.advance()
        self._choose(candidates)
        explanation.candidates = candidates
        if not candidates:
            raise exception.NoValidHost(summary=explanation.summary(),
                                        explanation=explanation)
        LOG.debug('Placed %s: %s', request.summary(),
                  candidates[0].describe())
        return cand.Decision(candidates[:self.settings.max_results],
                             explanation)

    def claim(self, candidate, generations=None):
        """Count *candidate*'s placements in the cache at once, so the
        next decision sees them (call after the store reserved them).

        :param generations: ``{pool key: generation after the claim}``
            as the store returned them, if known.
        """
        generations = generations or {}
        with self.lock:
            for placement in candidate.placements:
                self.cache.claim(placement.pool, placement.size,
                                 generation=generations.get(placement.pool))

    # -- weighing ----------------------------------------------------------

    def _weigh(self, ctx, index, pairs):
        """Score every pair of volume *index*.

        :returns: ``(totals, parts)``: the summed score per pair, and
            ``[(weigher name, weighted score per pair)]``.
        """
        volume = ctx.request.volumes[index]
        totals = [0.0] * len(pairs)
        parts = []
        for weigher in self.weighers:
            multiplier = self.settings.multiplier(weigher.name)
            if not multiplier:
                continue
            raw = [weigher.weigh(ctx, host, pool, volume)
                   for host, pool in pairs]
            values = [multiplier * value for value in weigher_base.normalize(
                raw, weigher.minval, weigher.maxval)]
            parts.append((weigher.name, values))
            totals = [a + b for a, b in zip(totals, values, strict=True)]
        return totals, parts

    @staticmethod
    def _placement(ctx, index, pairs, totals, parts, k):
        host, pool = pairs[k]
        return cand.Placement(
            volume=index, pool=pool.key, pool_id=pool.id,
            size=st.charge(pool, ctx.request.volumes[index].size),
            distance=st.distance(host, pool), score=totals[k],
            breakdown={name: values[k] for name, values in parts})

    def _rank(self, ctx, pairs, explanation):
        """Return a :class:`~brick.scheduler.candidate.Ranking`."""
        weighed = [self._weigh(ctx, index, found)
                   for index, found in enumerate(pairs)]
        if len(pairs) == 1:
            found, (totals, parts) = pairs[0], weighed[0]
            order = sorted(range(len(found)), key=lambda k: (
                -round(totals[k], 9), found[k][0].name, found[k][1].key))

            def build(k):
                placement = self._placement(ctx, 0, found, totals, parts, k)
                return cand.Candidate(found[k][0].name, (placement,),
                                      placement.score, placement.breakdown)
            return cand.Ranking(order, build)
        placed = [[self._placement(ctx, index, found, *weighed[index], k)
                   for k in range(len(found))]
                  for index, found in enumerate(pairs)]
        candidates = self._assemble(ctx, pairs, placed, explanation)
        candidates.sort(key=_rank_key)
        return cand.Ranking(candidates, lambda candidate: candidate)

    def _assemble(self, ctx, pairs, placed, explanation):
        volumes = ctx.request.volumes
        options = [{} for _ in volumes]
        for index, found in enumerate(pairs):
            for (host, _pool), placement in zip(found, placed[index],
                                                strict=True):
                options[index].setdefault(host.name, []).append(placement)
        hosts = [name for name in options[0]
                 if all(name in opts for opts in options)]
        order = sorted(range(len(volumes)), key=lambda i: -volumes[i].size)
        candidates = []
        for name in hosts:
            chosen, reason = _assign(ctx, name, order, options)
            if reason is not None:
                explanation.dropped[name] = reason
                continue
            weighers = {key for p in chosen for key in p.breakdown}
            candidates.append(cand.Candidate(
                name, tuple(chosen),
                sum(p.score for p in chosen) / len(chosen),
                {key: sum(p.breakdown.get(key, 0.0) for p in chosen)
                 / len(chosen) for key in weighers}))
        return candidates

    def _choose(self, candidates):
        subset = min(self.settings.host_subset_size, len(candidates))
        if subset > 1:
            candidates.promote(self._random.randrange(subset))

    def _evaluate(self, ctx, name):
        """Run every filter on host *name* as the consumer with its own
        pools (for hosts the search never read); None for an unknown
        host."""
        host = self.cache.hosts.get(name)
        if host is None:
            return None
        found = []
        for index, volume in enumerate(ctx.request.volumes):
            for pool in host.pools:
                for f in self.filters:
                    reason = f.check(ctx, host, pool, volume)
                    if reason is not None:
                        found.append((index, pool.key, f.name, reason))
                        break
        if not found and ctx.consumers is not None and host not in \
                ctx.consumers:
            found.append((0, '-', 'pairing', 'not a consumer host: the '
                          'request allows %s' % (', '.join(
                              h.name for h in ctx.consumers) or 'none')))
        return found


def _rank_key(candidate):
    return (-round(candidate.score, 9), candidate.host, candidate.pools)


def _assign(ctx, host, order, options):
    """Give each volume (in *order*) its best placement on *host* that
    fits beside the others; return ``(placements, None)`` or
    ``(None, reason)``."""
    cache, policy = ctx.cache, ctx.request.group_policy
    taken, domains, added, chosen = {}, [], {}, {}
    for index in order:
        pick = None
        for placement in sorted(options[index][host], key=_placement_key):
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
            pick = placement
            break
        if pick is None:
            return None, (
                'volume %d does not fit beside volume(s) %s (free space, '
                'group_policy %s or the volume limit)' % (
                    index + 1, ', '.join(str(i + 1) for i in chosen) or '-',
                    policy))
        pool = cache.pools[pick.pool]
        taken[pool.key] = taken.get(pool.key, 0) + pick.size
        domains.append(pool.domain)
        if pool.scope == 'host':
            added[pool.host] = added.get(pool.host, 0) + 1
        chosen[index] = pick
    return [chosen[index] for index in sorted(chosen)], None


def _placement_key(placement):
    return (-round(placement.score, 9), placement.pool)
