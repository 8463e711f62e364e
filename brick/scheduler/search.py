# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Finding the (host, pool) pairs that pass every filter: all of them.

A search runs once per locality tier (the selector widens it under
``preferred`` locality).  Per volume it builds the pairs
(:mod:`brick.scheduler.pairs`) and runs the enabled filters in their
configured order over all of them at once: a filter with a ``mask``
(:meth:`~brick.scheduler.filters.base.BaseFilter.mask`) answers for
every pair in one vector operation, one without is asked pair by pair
(:meth:`~brick.scheduler.filters.base.BaseFilter.check`), on the pairs
the earlier filters kept only.  Nothing is skipped and nothing stops
early: the survivors are exactly the pairs that pass every filter.

Each filter's removals are counted in pools and a few are named, with
the filter's own reason (:meth:`BaseFilter.check` of that pair), in the
:class:`~brick.scheduler.explanation.Explanation`.

Multi-volume requests: the largest volume is searched first; its
surviving pairs give the consumer hosts (a host pool its own host, a
shared pool every usable host sharing it), and every volume is then
searched as pairs of those hosts with the pools within the tier
(:func:`brick.scheduler.pairs.expand`).
"""

from collections.abc import Iterable
from collections.abc import Sequence
from typing import TYPE_CHECKING
from typing import Any

import numpy as np
from oslo_log import log as logging

from brick.scheduler import pairs as pairs_mod

if TYPE_CHECKING:  # annotations only: no import cycle at run time
    from brick.scheduler import context as context_mod
    from brick.scheduler import explanation as explanation_mod
    from brick.scheduler.filters import base as filter_base

LOG = logging.getLogger(__name__)

SAMPLE = 8
"""Removed pairs per filter whose reasons are asked for (kinds counted
over them; the count of removals is always exact)."""


class Search:
    """The feasible pairs of one decision, tier by tier.

    :param ctx: the :class:`~brick.scheduler.context.Context`.
    :param filters: the filter plugins, in order.
    :param explanation: the :class:`~brick.scheduler.explanation.Explanation`
        to record into.
    """

    def __init__(self, ctx: 'context_mod.Context',
                 filters: 'Sequence[filter_base.BaseFilter]',
                 explanation: 'explanation_mod.Explanation') -> None:
        self.ctx = ctx
        self.filters = filters
        self.explanation = explanation
        request = ctx.request
        # Which filters apply to each volume depends on the request and
        # the resolved pairing only: decided once, not per tier.
        self._applying = [
            [(position, f) for position, f in enumerate(filters)
             if f.applies(ctx, volume)] for volume in request.volumes]

    def stage(self, tier: int, record: bool = True
              ) -> list[pairs_mod.Pairs]:
        """Search with locality tier *tier*.

        :param record: count into the explanation (False: a what-if).
        :returns: per volume, the surviving :class:`Pairs`.
        """
        ctx = self.ctx
        ctx.tier = tier
        if record:
            self.explanation.start_stage(tier)
        volumes = ctx.request.volumes
        lead = max(range(len(volumes)), key=lambda i: volumes[i].size)
        if ctx.consumers is None:
            base = pairs_mod.derived(ctx)
        else:
            base = pairs_mod.anchored(ctx, ctx.consumers)
        found: list[Any] = [None] * len(volumes)
        found[lead] = self._filter(lead, base, record)
        if len(volumes) > 1:
            hosts = self._consumers(found[lead])
            near = base.take(base.distance <= tier)
            # The same pairs for every volume: filters copy, never change
            # them.
            pairs = pairs_mod.expand(ctx, hosts, near)
            for index in range(len(volumes)):
                found[index] = self._filter(index, pairs, record and
                                            index != lead)
        if record:
            stage = self.explanation.stage
            assert stage is not None  # started above
            stage.examined = len(base)
            stage.feasible = len(found[lead])
        return found

    def _consumers(self, lead):
        """Consumer hosts of a multi-volume request: those of the lead
        volume's surviving pairs, every usable host of a shared pool."""
        ctx, cols = self.ctx, self.ctx.cache.columns
        if ctx.consumers is not None:
            # Not only the closest consumer of each pool: any may be
            # a candidate (those with nothing for a volume drop out).
            return pairs_mod.usable(ctx, ctx.consumers) if len(lead) else []
        hosts = {}
        scope = cols.pools.scope[lead.pools]
        for row in np.unique(lead.hosts[scope == 0]).tolist():
            host = cols.host_objects[row]
            hosts[host.name] = host
        for row in np.unique(lead.pools[scope > 0]).tolist():
            for host in ctx.cache.hosts_sharing(cols.pool_objects[row]):
                if host.state == 'enabled' and ctx.in_place(host) and \
                        host.name not in ctx.request.exclude_hosts:
                    hosts[host.name] = host
        return [hosts[name] for name in sorted(hosts)]

    def _filter(self, index, pairs, record):
        """The pairs that pass every filter.  Masks are ANDed over the
        same pairs and the pairs copied down to the survivors only when
        fewer than half are left (a copy costs more than a mask)."""
        ctx = self.ctx
        volume = ctx.request.volumes[index]
        explanation = self.explanation
        alive, left = None, len(pairs)
        for position, f in self._applying[index]:
            if not left:
                break
            if record:
                explanation.reach(position, left if pairs.unique else
                                  _pools(pairs, alive))
            keep = f.mask(ctx, volume, pairs)
            if keep is None:
                if alive is not None:
                    pairs, alive = pairs.take(alive), None
                keep = np.fromiter(
                    (f.check(ctx, *pairs.objects(i), volume) is None
                     for i in range(len(pairs))), dtype=np.bool_,
                    count=len(pairs))
            removed = ~keep if alive is None else alive & ~keep
            count = int(np.count_nonzero(removed))
            LOG.debug('filter %s kept %d of %d pairs', f.name,
                      left - count, left)
            if not count:
                continue
            if record:
                self._record(index, position, f, pairs,
                             np.flatnonzero(removed), volume)
            alive = keep if alive is None else alive & keep
            left -= count
            if left < len(pairs) // 2:
                pairs, alive = pairs.take(alive), None
        if alive is not None:
            # Copied once, at the end: weighing the survivors as a
            # masked whole measured slower than copying them.
            pairs = pairs.take(alive)
        return pairs

    def _record(self, index, position, f, pairs, removed, volume):
        ctx = self.ctx
        pools = len(removed) if pairs.unique else len(
            np.unique(pairs.pools[removed]))
        examples = []
        for i in removed[:SAMPLE].tolist():
            host, pool = pairs.objects(i)
            reason = f.check(ctx, host, pool, volume) or \
                '%s: %s for host %s' % (f.name, pool.key, host.name)
            examples.append((pool.key, reason))
        self.explanation.reject(index, position, pools, len(removed),
                                examples)


def _pools(pairs, alive=None):
    rows = pairs.pools if alive is None else pairs.pools[alive]
    return len(rows) if pairs.unique else len(np.unique(rows))


def feasible_elsewhere(search: Search, tiers: Iterable[int]
                       ) -> dict[int, int]:
    """For an empty-handed decision: per wider tier in *tiers*, how many
    pools would pass every filter there (nothing is recorded)."""
    found: dict[int, int] = {}
    for tier in tiers:
        survivors = search.stage(tier, record=False)
        found[tier] = len(np.unique(survivors[0].pools)) if all(
            len(s) for s in survivors) else 0
    return found
