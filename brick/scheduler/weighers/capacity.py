# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``capacity``: free space left in the pool after the volume.

Positive multiplier: spread (the emptiest pool wins); negative: pack (the
fullest pool that still fits wins).  Free space is virtual, after the
allocation ratio, as the capacity filter computes it (one source of
truth, unlike Nova, which filtered on Placement and weighed on
``free_disk_gb``).
"""

from brick.scheduler import state
from brick.scheduler.filters import capacity
from brick.scheduler.weighers import base


class CapacityWeigher(base.BaseWeigher):
    def weigh_all(self, ctx, volume, pairs):
        return (pairs.column('free') - capacity.charges(volume, pairs)
                ).astype(float)

    def weigh(self, ctx, host, pool, volume):
        return float(pool.free - state.charge(pool, volume.size))
