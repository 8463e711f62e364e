# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Finding the (host, pool) pairs that pass every filter, fast.

A search runs once per locality tier (the selector widens it under
``preferred`` locality) and, per volume, reads one index: the smallest
of those the enabled filters say every match must be in (a driver, a
tag, the consumer host's own pools, its rack, its zone), or every pool.
Within it pools come cheapest first and, inside one cost, from a cursor
that moves on after each decision, so successive requests start on
different pools.  It stops once ``max_considered`` pairs have passed.

Consumer hosts are either given (``local_to_instance``, ``near_volume``,
``hosts``: the search reads each one's region) or derived from the pools
of the request's largest volume: a host pool gives its own host (any
other host would be farther from it), a shared pool up to
``max(host_subset_size, max_results)`` up hosts of its rack or zone.  The
other volumes of the request are then searched around those hosts.

Verdicts are remembered for the whole decision, so a wider tier does not
run the filters again on pairs it already judged, except for rejections
by a tier-dependent filter (``locality``).
"""

from oslo_log import log as logging

from brick.scheduler import index as index_mod
from brick.scheduler import state as st

LOG = logging.getLogger(__name__)

EXCLUDE_ABOVE = 100
"""Indexes larger than this may be ruled out whole (``excludes``)."""


class Search:
    """The feasible pairs of one decision, tier by tier.

    :param ctx: the :class:`~brick.scheduler.context.Context`.
    :param filters: the filter plugins, in order.
    :param explanation: the :class:`~brick.scheduler.explanation.Explanation`
        to record into.
    :param settings: the :class:`~brick.scheduler.settings.Settings`.
    """

    def __init__(self, ctx, filters, explanation, settings):
        self.ctx = ctx
        self.filters = filters
        self.explanation = explanation
        self.limit = settings.max_considered or None
        self.order = settings.cost_order
        self.expand = max(settings.host_subset_size, settings.max_results)
        request = ctx.request
        # Verdicts are worth remembering only if pairs are judged twice.
        self._memo = {} if (len(request.volumes) > 1 or
                            request.widest_tier > request.tier) else None
        self._tiered = frozenset(
            index for index, f in enumerate(filters)
            if getattr(f, 'tier_dependent', False))
        # Which filters apply to each volume depends on the request and
        # the resolved pairing only: decided once, not per host and tier.
        self._applying = [
            [(position, f) for position, f in enumerate(filters)
             if f.applies(ctx, volume)] for volume in request.volumes]
        self._visited = {}

    def stage(self, tier):
        """Search with locality tier *tier*.

        :returns: per volume, the list of feasible ``(host, pool)``.
        """
        ctx = self.ctx
        ctx.tier = tier
        self.explanation.start_stage(tier)
        self._passed = self._examined = 0
        self._noted = set()
        volumes = ctx.request.volumes
        lead = max(range(len(volumes)), key=lambda i: volumes[i].size)
        pairs = [[] for _ in volumes]
        if ctx.consumers is None:
            pairs[lead] = self._derived(lead)
        else:
            pairs[lead] = self._anchored(lead, ctx.consumers)
        hosts = list({host.name: host for host, _pool in pairs[lead]}
                     .values())
        for index in range(len(volumes)):
            if index != lead:
                pairs[index] = self._anchored(index, hosts)
        self._count()
        return pairs

    def advance(self):
        """Move the cursor of every index read, past what was read."""
        for index, count in self._visited.items():
            index.cursor += count

    # -- pair sources ------------------------------------------------------

    def _base(self, host, volume, index):
        judges = [f for _position, f in self._applying[index]]
        options = [option for f in judges
                   for option in f.narrow(self.ctx, host, volume)]
        label, base = min(options, key=lambda o: len(o[1]), default=(
            'every pool', self.ctx.cache.everything))
        shared = host is not None or not self._local_only()
        if index not in self._noted:
            self._noted.add(index)
            self.explanation.notes.append(
                '%s volume %d: read %s (%d of %d pools)' % (
                    self.explanation.stage.name, index + 1, label,
                    len(base), len(self.ctx.cache.pools)))
        if not isinstance(base, index_mod.Index):
            return None, base
        self._visited.setdefault(base, 0)
        # Reading a small index costs less than it tells (a reason per
        # pool); in a large one, what a filter rules out is not read.
        if len(base) <= EXCLUDE_ABOVE:
            return base, base.visit(self.order)

        def ruled_out(pools, what):
            for f in judges:
                reason = f.excludes(self.ctx, volume, pools, shared)
                if reason:
                    self.explanation.exclude(f.name, what, len(pools),
                                             reason)
                    return True
            return False
        if ruled_out(base, label):
            return base, ()
        return base, base.visit(self.order, lambda bucket: ruled_out(
            bucket, '%s at cost %s' % (label, bucket.cost)))

    def _local_only(self):
        """True when no shared pool can pass: hosts derived from pools at
        host tier, with the locality filter on (a shared pool is at rack
        distance at least from every host)."""
        return self.ctx.tier < st.topology.SAME_RACK and any(
            getattr(f, 'tier_dependent', False) for f in self.filters)

    def _derived(self, index):
        volume = self.ctx.request.volumes[index]
        found = []
        cache = self.ctx.cache
        hosts_by_name = cache.hosts
        excluded = self.ctx.request.exclude_hosts
        check = self._checker(index, volume)
        limit = self.limit
        visited = 0
        local_only = self._local_only()
        base, pools = self._base(None, volume, index)
        for pool in pools:
            visited += 1
            if pool.scope == 'host':
                host = hosts_by_name.get(pool.host)
                if host is not None and check(host, pool):
                    found.append((host, pool))
            elif not local_only:
                expanded = 0
                for host in cache.hosts_sharing(pool):
                    if host.state == 'enabled' and host.name not in excluded:
                        expanded += 1
                        if check(host, pool):
                            found.append((host, pool))
                        if expanded >= self.expand:
                            break
            if limit is not None and len(found) >= limit:
                break
        if base is not None:
            self._visited[base] += visited
        return found

    def _anchored(self, index, hosts):
        volume = self.ctx.request.volumes[index]
        check = self._checker(index, volume)
        found = []
        for host in hosts:
            base, pools = self._base(host, volume, index)
            visited = 0
            for pool in pools:
                visited += 1
                if check(host, pool):
                    found.append((host, pool))
                    if self.limit is not None and len(found) >= self.limit:
                        break
            if base is not None:
                self._visited[base] += visited
            if self.limit is not None and len(found) >= self.limit:
                break
        return found

    # -- filters -----------------------------------------------------------

    def _checker(self, index, volume):
        """A function ``(host, pool) -> bool`` running the filters that
        apply to *volume*, counting into the explanation."""
        ctx = self.ctx
        active = [(position, f.check)
                  for position, f in self._applying[index]]
        memo, tiered = self._memo, self._tiered
        reject = self.explanation.reject

        def judge(host, pool):
            for position, check in active:
                reason = check(ctx, host, pool, volume)
                if reason is not None:
                    return position, reason
            return None

        def check(host, pool):
            self._examined += 1
            if memo is None:
                verdict = judge(host, pool)
            else:
                key = (index, host.name, pool.key)
                verdict = memo.get(key, False)
                if verdict is False or (verdict is not None
                                        and verdict[0] in tiered):
                    verdict = memo[key] = judge(host, pool)
            if verdict is None:
                self._passed += 1
                return True
            reject(index, host, pool, verdict[0], verdict[1])
            return False
        return check

    def _count(self):
        stage = self.explanation.stage
        stage.examined, stage.feasible = self._examined, self._passed
        reaching = self._examined
        for stats in self.explanation.filters:
            stats.examined = reaching
            reaching -= stats.removed
            LOG.debug('filter %s kept %d of %d', stats.name, reaching,
                      stats.examined)
