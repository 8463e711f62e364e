# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``affinity`` and ``anti_affinity``: with or away from other volumes.

Both compare failure domains (:attr:`PoolState.domain`): the host of a
host-scoped pool, or the shared pool itself.  The members named by
``same_host`` and ``different_host`` are located once per decision
(:mod:`brick.scheduler.context`); members not found yet (the first
volume of a group) constrain nothing.
"""

import numpy as np

from brick.scheduler.filters import base


def in_domains(ctx, pairs, domains):
    """Per pair: is its pool's failure domain one of *domains*?"""
    cols = pairs.columns
    hosts = cols.lookup(cols.hosts.capacity, [
        ctx.cache.hosts[d].index for d in domains if d in ctx.cache.hosts])
    pools = cols.lookup(cols.pools.capacity, [
        ctx.cache.pools[d].index for d in domains if d in ctx.cache.pools])
    shared = pairs.column('scope') != 0
    return np.where(shared, pools[pairs.pools], hosts[pairs.column('host')])


class AffinityFilter(base.BaseFilter):
    """``same_host``: the pool is where the members are."""

    def applies(self, ctx, volume):
        return ctx.with_domains is not None

    def mask(self, ctx, volume, pairs):
        domains = ctx.with_domains
        if domains is None:
            return np.ones(len(pairs), dtype=np.bool_)
        if len(domains) > 1:
            return np.zeros(len(pairs), dtype=np.bool_)
        return in_domains(ctx, pairs, domains)

    def check(self, ctx, host, pool, volume):
        domains = ctx.with_domains
        if domains is None:
            return None
        if len(domains) > 1:
            return 'members apart: same_host members are on %s' % (
                ', '.join(sorted(domains)))
        if pool.domain not in domains:
            return 'away from members: %s is not on %s' % (
                pool.key, next(iter(domains)))
        return None


class AntiAffinityFilter(base.BaseFilter):
    """``different_host``: the pool is where no member is."""

    def applies(self, ctx, volume):
        return bool(ctx.avoid_domains)

    def mask(self, ctx, volume, pairs):
        return ~in_domains(ctx, pairs, ctx.avoid_domains)

    def check(self, ctx, host, pool, volume):
        if pool.domain in ctx.avoid_domains:
            return 'with a member: %s holds a different_host member' % (
                pool.domain)
        return None
