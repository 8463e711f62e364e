# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``locality``: how close the pool is to the consumer host.

Same host scores highest, then same rack, same zone, elsewhere; a pool
shared by a rack is at rack distance.  Under ``preferred`` locality this
is what makes the closest tier win among the candidates of several tiers;
its default multiplier (10) outweighs the others together.
"""

from brick.inventory import topology
from brick.scheduler import state
from brick.scheduler.weighers import base


class LocalityWeigher(base.BaseWeigher):
    minval = -float(topology.FAR)
    maxval = -float(topology.SAME_HOST)

    precedence = 2
    """Closer always ranks first, before cost."""

    def weigh_all(self, ctx, volume, pairs):
        return -pairs.distance.astype(float)

    def weigh(self, ctx, host, pool, volume):
        return -float(state.distance(host, pool))
