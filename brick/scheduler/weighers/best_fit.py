# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``best_fit``: the pool whose largest free extent the volume fills
most closely.

Placing a 10 GiB volume where at most 12 GiB fit leaves the 500 GiB pool
whole for a large volume later: less fragmentation.  It differs from
packing by capacity (a negative ``capacity`` multiplier) in looking at the
largest volume the pool can still take (``max_volume``, e.g. the largest
run of free extents), not total free space.  OpenEBS LVM LocalPV's node
agent picks a volume group the same way, the one with the least free
space that still fits (https://github.com/openebs/lvm-localpv,
``pkg/mgmt/volume/volume.go``, ``getVgPriorityList``).
"""

from brick.scheduler import state
from brick.scheduler.filters import capacity
from brick.scheduler.weighers import base


class BestFitWeigher(base.BaseWeigher):
    def weigh_all(self, ctx, volume, pairs):
        return -(pairs.column('largest') - capacity.charges(volume, pairs)
                 ).astype(float)

    def weigh(self, ctx, host, pool, volume):
        return -float(pool.largest - state.charge(pool, volume.size))
