# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Choosing where a request's volumes go: filters, then weighers.

:meth:`Selector.select` resolves the request's pairing
(:class:`~brick.scheduler.context.Context`), finds every (host, pool)
pair that passes every filter (:class:`~brick.scheduler.search.Search`;
``required`` locality searches its tier only, ``preferred`` widens to the
next tier while fewer than ``max_results`` candidates were found, up to
``locality_max``), weighs them and returns the best with an
:class:`~brick.scheduler.explanation.Explanation`, or raises
:exc:`~brick.exception.NoValidHost` carrying it.

**Exact.**  The answer is the true best ``max_results`` under the
enabled filters and weighers: every pool is filtered and every survivor
weighed, in vector operations over the columns of
:mod:`brick.scheduler.columns`; nothing is sampled or cut short.

Weighing: every weigher scores every feasible pair of a volume; scores
are normalised to 0..1 over those pairs, multiplied by the weigher's
multiplier, and summed per precedence level
(:mod:`brick.scheduler.weighers.base`).  Candidates are ranked on the
highest level first, then the next (by default: closest, then cheapest,
then most free space).

A one-volume request's candidates are pools, each once: a pool shared by
a rack or zone is one candidate with the host that stands for it, so
the alternates are other pools and a retry goes somewhere new.  A
multi-volume request's candidates are consumer hosts, each volume
(largest first) taking its best pair on that host that still fits
beside the ones already taken, under ``group_policy`` and the volume
limit, scored by the mean.

Ties: equal candidates (to 9 decimals, level by level) come out by host
name, then pool key.  With ``host_subset_size`` N > 1 the choice is
drawn at random among the N best (as Nova does, so that concurrent
schedulers collide less), from a generator seeded by ``Settings.seed``;
the others keep their order.
"""

import functools
import random
import threading
import time
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

from oslo_config import cfg
from oslo_log import log as logging

from brick import exception
from brick.scheduler import cache as cache_mod
from brick.scheduler import candidate as cand
from brick.scheduler import context as context_mod
from brick.scheduler import explanation as expl_mod
from brick.scheduler import filters as filters_mod
from brick.scheduler import ranking
from brick.scheduler import request as request_mod
from brick.scheduler import search as search_mod
from brick.scheduler import settings as settings_mod
from brick.scheduler import state as state_mod
from brick.scheduler import weighers as weighers_mod
from brick.scheduler.filters import base as filter_base
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

    def __init__(self, cache: cache_mod.StateCache,
                 settings: settings_mod.Settings | None = None,
                 filters: Iterable[filter_base.BaseFilter] | None = None,
                 weighers: Iterable[weigher_base.BaseWeigher] | None = None,
                 locator: context_mod.Locator | None = None,
                 source: cache_mod.Source | None = None) -> None:
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
        self._refreshing = threading.Lock()
        """Held by :meth:`select`, :meth:`claim` and :meth:`refresh`: the
        cache is shared state.  Hold it to change the cache directly."""

    @classmethod
    def from_conf(cls, conf: cfg.ConfigOpts, cache: cache_mod.StateCache,
                  **kwargs: Any) -> 'Selector':
        """A selector configured by ``[brick_scheduler]`` of *conf*."""
        return cls(cache, settings_mod.Settings.from_conf(conf), **kwargs)

    def select(self, request: request_mod.RequestSpec) -> cand.Decision:
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

    def refresh(self) -> cache_mod.RefreshStats:
        """Refresh the cache from the source now.

        The source is read without holding :attr:`lock` (at 200,000
        pools the inventory's change scan takes tens of milliseconds);
        only applying the changes holds it.  A service with a large site
        can call this from a timer of its own every
        ``refresh_interval``, so that no decision pays for the read.

        :returns: the :class:`~brick.scheduler.cache.RefreshStats`.
        """
        assert self.source is not None, 'the selector has no source'
        with self._refreshing:
            start = time.perf_counter()
            marker = self.cache.marker
            changes = self.source.changes(marker)
            with self.lock:
                if self.cache.marker is not marker:
                    # A decision refreshed meanwhile: read again from it.
                    return self.cache.refresh(self.source)
                stats = self.cache.accept(changes)
            stats.seconds = time.perf_counter() - start
            return stats

    def _select(self, request: request_mod.RequestSpec) -> cand.Decision:
        refreshed = None
        if self.source is not None:
            refreshed = self.cache.refresh_if_due(
                self.source, self.settings.refresh_interval)
        try:
            return self._decide(request)
        except exception.NoValidHost:
            if self.source is None or refreshed is not None:
                raise
        # The cache may be up to refresh_interval old: space that other
        # processes freed since (a released runner-up, a deleted volume)
        # is not in it.  A refusal is final for the caller, so it is made
        # on fresh state; a stale acceptance costs less (the claim checks
        # capacity itself and fails cleanly).
        self.cache.refresh(self.source)
        return self._decide(request)

    def _decide(self, request: request_mod.RequestSpec) -> cand.Decision:
        ctx = context_mod.Context(request, self.cache, self.settings,
                                  self.locator)
        explanation = expl_mod.Explanation(request,
                                           [f.name for f in self.filters])
        explanation.notes.extend(ctx.notes)
        explanation.evaluate = functools.partial(self._evaluate, ctx)
        explanation.derived = ctx.consumers is None
        search = search_mod.Search(ctx, self.filters, explanation)
        ranker = ranking.Ranker(ctx, self.weighers, self.settings,
                                explanation)
        candidates = None
        for tier in range(request.tier, request.widest_tier + 1):
            found = search.stage(tier)
            candidates = ranker.rank(found)
            stage = explanation.stage
            assert stage is not None  # search.stage() started it
            stage.candidates = candidates.total
            if candidates.total >= self.settings.max_results:
                break
        assert candidates is not None  # tier <= widest tier: one pass
        self._choose(candidates)
        explanation.candidates = candidates
        if not candidates:
            wider = range(request.widest_tier + 1,
                          request_mod.TIERS['any'] + 1)
            explanation.wider = search_mod.feasible_elsewhere(search, wider)
            known = self.cache.columns.tags.ids
            explanation.known_tags = tuple(known)
            explanation.unknown_tags = tuple(sorted(
                {tag for volume in request.volumes for tag in volume.tags
                 if tag not in known}))
            raise exception.NoValidHost(summary=explanation.summary(),
                                        explanation=explanation)
        LOG.debug('Placed %s: %s', request.summary(),
                  candidates[0].describe())
        return cand.Decision(candidates[:self.settings.max_results],
                             explanation)

    def claim(self, candidate: cand.Candidate,
              generations: Mapping[str, int] | None = None) -> None:
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

    def _choose(self, candidates: cand.Ranking[Any]) -> None:
        subset = min(self.settings.host_subset_size, len(candidates))
        if subset > 1:
            candidates.promote(self._random.randrange(subset))

    def _evaluate(self, ctx: context_mod.Context, name: str
                  ) -> list[expl_mod.Rejection] | None:
        """Run every filter on *name* for the explanation: a host as the
        consumer with its own pools, or a pool (by key) with the hosts
        that could use it.  None for an unknown name."""
        host = self.cache.hosts.get(name)
        if host is not None:
            # As a consumer with its own pools; and its pools for the
            # request's consumer hosts, if it is not one of them.
            pairs: list[tuple[state_mod.HostState, state_mod.PoolState]] = [
                (host, pool) for pool in host.pools]
            if ctx.consumers is not None and host not in ctx.consumers:
                pairs += [(consumer, pool) for pool in host.pools
                          for consumer in ctx.consumers[:3]]
        elif name in self.cache.pools:
            pool = self.cache.pools[name]
            hosts = ctx.consumers if ctx.consumers is not None else \
                list(self.cache.hosts_sharing(pool))
            pairs = [(h, pool) for h in hosts[:3]]
        else:
            return None
        found: list[expl_mod.Rejection] = []
        for index, volume in enumerate(ctx.request.volumes):
            for consumer, pool in pairs:
                for f in self.filters:
                    if not f.applies(ctx, volume):
                        continue
                    reason = f.check(ctx, consumer, pool, volume)
                    if reason is not None:
                        found.append((index, pool.key, f.name, reason))
                        break
        if host is not None and ctx.consumers is not None and \
                host not in ctx.consumers:
            found.insert(min(len(found), 1), (
                0, '-', 'pairing', 'not a consumer host: the request '
                'allows %s' % (', '.join(h.name for h in ctx.consumers)
                               or 'none')))
        return found
