# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``state``: the host and the pool enabled, neither excluded."""

from brick.scheduler import context
from brick.scheduler import state as st
from brick.scheduler.filters import base


def _not_up(host: st.HostState) -> str:
    """``host not up: NAME is STATE`` and, when known, why (a node that
    stopped heartbeating: :mod:`brick.node.liveness`)."""
    said = 'host not up: %s is %s' % (host.name, host.state)
    return '%s (%s)' % (said, host.reason) if host.reason else said


class StateFilter(base.BaseFilter):
    """Host and pool state, and the request's exclusions (retries).

    A host-scoped pool also needs its own host enabled, which is the
    consumer host unless the volume goes to another host of the rack or
    zone.
    """

    def mask(self, ctx, volume, pairs):
        request = ctx.request
        if pairs.shared_base and not request.exclude_hosts and \
                not request.exclude_pools:
            # The same verdict for every decision until a host or pool
            # changes state: kept.
            cols = pairs.columns
            return cols.cached('state', (
                cols.pools.version, cols.hosts.version, cols.states),
                lambda: self._mask(ctx, pairs))
        return self._mask(ctx, pairs)

    def _mask(self, ctx, pairs):
        cols = pairs.columns
        up = cols.hosts.up
        keep = up[pairs.hosts] & pairs.column('enabled')
        own = pairs.column('host')
        keep &= (pairs.column('scope') != 0) | up[own]
        request = ctx.request
        if request.exclude_hosts:
            excluded = ctx.excluded_hosts()
            keep &= ~excluded[pairs.hosts]
            keep &= ~excluded[own]
        if request.exclude_pools:
            rows = [ctx.cache.pools[k].index for k in request.exclude_pools
                    if k in ctx.cache.pools]
            keep &= ~cols.lookup(cols.pools.capacity, rows)[pairs.pools]
        return keep

    def check(self, ctx: context.Context, host: st.HostState,
              pool: st.PoolState, volume: object) -> str | None:
        if host.state != 'enabled':
            return _not_up(host)
        if pool.state != 'enabled':
            return 'pool disabled: %s' % pool.key
        request = ctx.request
        if host.name in request.exclude_hosts:
            return 'host excluded: %s failed an earlier attempt' % host.name
        if pool.key in request.exclude_pools:
            return 'pool excluded: %s failed an earlier attempt' % pool.key
        if pool.scope == 'host' and pool.host != host.name:
            owner = ctx.cache.hosts.get(pool.host or '')
            if owner is None:
                return 'pool host not up: %s' % pool.host
            if owner.state != 'enabled':
                return 'pool ' + _not_up(owner)
            if pool.host in request.exclude_hosts:
                return 'host excluded: %s failed an earlier attempt' % (
                    pool.host)
        return None
