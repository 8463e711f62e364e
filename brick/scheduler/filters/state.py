# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``state``: the host is up, the pool enabled, neither excluded."""

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

    A host-scoped pool also needs its own host up, which is the consumer
    host unless the volume goes to another host of the rack or zone.
    """

    def check(self, ctx: context.Context, host: st.HostState,
              pool: st.PoolState, volume: object) -> str | None:
        if host.state != 'up':
            return _not_up(host)
        if pool.state != 'enabled':
            return 'pool disabled: %s' % pool.key
        request = ctx.request
        if host.name in request.exclude_hosts:
            return 'host excluded: %s failed an earlier attempt' % host.name
        if pool.key in request.exclude_pools:
            return 'pool excluded: %s failed an earlier attempt' % pool.key
        if pool.scope == 'host' and pool.host != host.name:
            owner = ctx.cache.hosts.get(pool.host)
            if owner is None:
                return 'pool host not up: %s' % pool.host
            if owner.state != 'up':
                return 'pool ' + _not_up(owner)
            if pool.host in request.exclude_hosts:
                return 'host excluded: %s failed an earlier attempt' % (
                    pool.host)
        return None
