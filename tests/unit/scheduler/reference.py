# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The scheduler's answer, computed the plain way: every pair, every
filter's ``check``, every weigher's ``weigh``, sorted.

What "the best k" means, written as simply as possible, for the property
tests to hold the fast path (:mod:`brick.scheduler.selector`) to.  No
numpy beyond the rounding both use, no shortcuts.
"""

import numpy as np

from brick.scheduler import context
from brick.scheduler import state as st
from brick.scheduler.weighers import base as weigher_base


def _round(value):
    return float(np.round(np.float64(value), 9))


def _pairs(ctx, consumers):
    """The pair space: each pool with its own host or the hosts sharing
    it (no consumer named), or with every consumer."""
    cache = ctx.cache
    for pool in cache.pools.values():
        if consumers is None:
            hosts = cache.hosts_sharing(pool)
        else:
            hosts = consumers
        for host in hosts:
            yield host, pool


def _feasible(ctx, filters, volume, pairs):
    return [(h, p) for h, p in pairs
            if all(f.check(ctx, h, p, volume) is None for f in filters)]


def _weigh(ctx, settings, weighers, volume, pairs):
    """Per pair: (levels high to low, total)."""
    active = [(w, settings.multiplier(w.name)) for w in weighers
              if settings.multiplier(w.name)]
    levels = sorted({settings.level(w) for w, _m in active}, reverse=True)
    sums = {level: [0.0] * len(pairs) for level in levels}
    for weigher, multiplier in active:
        raw = [weigher.weigh(ctx, h, p, volume) for h, p in pairs]
        normal = weigher_base.normalize(raw, weigher.minval, weigher.maxval)
        level = settings.level(weigher)
        sums[level] = [a + multiplier * b
                       for a, b in zip(sums[level], normal, strict=True)]
    return [[sums[level][i] for level in levels] for i in range(len(pairs))]


def _single(ctx, settings, filters, weighers):
    volume = ctx.request.volumes[0]
    pairs = _feasible(ctx, filters, volume, _pairs(ctx, ctx.consumers))
    scores = _weigh(ctx, settings, weighers, volume, pairs)
    best = {}
    for (host, pool), levels in zip(pairs, scores, strict=True):
        key = (tuple(-_round(v) for v in levels), host.name)
        if pool.key not in best or key < best[pool.key][0]:
            best[pool.key] = (key, host.name)
    ranked = sorted((key[0], host, pool) for pool, (key, host)
                    in best.items())
    return [(host, (pool,)) for _key, host, pool in ranked]


def _multi(ctx, settings, filters, weighers):
    volumes = ctx.request.volumes
    lead = max(range(len(volumes)), key=lambda i: volumes[i].size)
    found = _feasible(ctx, filters, volumes[lead],
                      _pairs(ctx, ctx.consumers))
    consumers = sorted({h.name: h for h, _p in found}.values(),
                       key=lambda h: h.name)
    options = []
    for volume in volumes:
        pairs = _feasible(ctx, filters, volume, _pairs(ctx, consumers))
        scores = _weigh(ctx, settings, weighers, volume, pairs)
        per_host = {}
        for (host, pool), levels in zip(pairs, scores, strict=True):
            per_host.setdefault(host.name, []).append(
                (tuple(-_round(v) for v in levels), pool.key, pool, levels))
        options.append(per_host)
    order = sorted(range(len(volumes)), key=lambda i: -volumes[i].size)
    ranked = []
    for host in consumers:
        if not all(host.name in opts for opts in options):
            continue
        chosen = _assign(ctx, [sorted(opts[host.name], key=lambda e: e[:2])
                               for opts in options], order)
        if chosen is None:
            continue
        entries = [chosen[i] for i in sorted(chosen)]
        means = [sum(e[3][level] for e in entries) / len(entries)
                 for level in range(len(entries[0][3]))]
        pools = tuple(e[1] for e in entries)
        ranked.append((tuple(-_round(m) for m in means), host.name, pools))
    ranked.sort()
    return [(host, pools) for _key, host, pools in ranked]


def _fits(ctx, pool, size, taken, domains, added):
    policy = ctx.request.group_policy
    if taken.get(pool.key, 0) + size > pool.free:
        return False
    if policy == 'anti-affinity' and pool.domain in domains:
        return False
    if policy == 'affinity' and domains and pool.domain != domains[0]:
        return False
    return not (ctx.max_volumes and pool.scope == 'host' and
                ctx.cache.hosts[pool.host].volumes + added.get(
                    pool.host, 0) >= ctx.max_volumes)


def _assign(ctx, options, order):
    """Each volume (largest first) its best option that fits beside the
    ones taken; None if one has none."""
    taken, domains, added, chosen = {}, [], {}, {}
    for index in order:
        size_of = ctx.request.volumes[index].size
        for entry in options[index]:
            pool = entry[2]
            size = st.charge(pool, size_of)
            if not _fits(ctx, pool, size, taken, domains, added):
                continue
            taken[pool.key] = taken.get(pool.key, 0) + size
            domains.append(pool.domain)
            if pool.scope == 'host':
                added[pool.host] = added.get(pool.host, 0) + 1
            chosen[index] = entry
            break
        else:
            return None
    return chosen


def select(cache, request, settings, filters, weighers, locator):
    """The ranked ``[(host, pool keys)]`` the scheduler must return
    (the first ``settings.max_results``); raises as the selector does
    for an unknown instance, volume, zone or rack."""
    ctx = context.Context(request, cache, settings, locator)
    ranked = []
    for tier in range(request.tier, request.widest_tier + 1):
        ctx.tier = tier
        if len(request.volumes) == 1:
            ranked = _single(ctx, settings, filters, weighers)
        else:
            ranked = _multi(ctx, settings, filters, weighers)
        if len(ranked) >= settings.max_results:
            break
    return ranked[:settings.max_results]
