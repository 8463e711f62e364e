# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``cost``: the operator's preference between pools (lower is cheaper).

The inventory gives each pool a ``cost``; "cheapest first" is this
weigher with a positive multiplier.  The search also visits pools
cheapest first, so cost is honoured even when
``[brick_scheduler]max_considered`` cuts the search short.
"""

from brick.scheduler.weighers import base


class CostWeigher(base.BaseWeigher):
    def weigh(self, ctx, host, pool, volume):
        return -float(pool.cost)
