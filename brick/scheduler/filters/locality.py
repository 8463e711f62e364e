# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``locality``: the pool is within the current locality tier of the
consumer host, and, if shared, shared with that host.

Under ``required`` locality the tier is the request's and never widens;
under ``preferred`` the selector searches tier after tier (host, rack,
zone, any; up to ``locality_max``) and this filter follows the tier being
searched.
"""

from brick.scheduler import request as request_mod
from brick.scheduler import state
from brick.scheduler.filters import base


class LocalityFilter(base.BaseFilter):
    """Distance between the consumer host and the pool."""

    tier_dependent = True
    """Its verdict changes when the selector widens the tier."""

    def check(self, ctx, host, pool, volume):
        distance = state.distance(host, pool)
        if pool.scope != 'host' and distance > state.SCOPE_DISTANCE[
                pool.scope]:
            # Only the hosts of its rack or zone mount a shared pool.
            return 'outside the pool\'s scope: %s is shared by %s %s, ' \
                'not by host %s' % (pool.key, pool.scope, pool.owner,
                                    host.name)
        if distance > ctx.tier:
            return 'too far: %s is %s-distant from host %s, allowed: %s' % (
                pool.key, request_mod.TIER_NAMES[distance], host.name,
                request_mod.TIER_NAMES[ctx.tier])
        return None

    def mask(self, ctx, volume, pairs):
        # Pairs carry their distance; a shared pool outside the
        # consumer's rack or zone is at pairs.OUTSIDE, beyond any tier.
        return pairs.distance <= ctx.tier
