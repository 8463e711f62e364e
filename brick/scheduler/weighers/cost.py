# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``cost``: the operator's preference between pools (lower is cheaper).

The inventory gives each pool a ``cost``; "cheapest first" is this
weigher with a positive multiplier.  Its precedence (1) puts it before
``capacity`` and ``best_fit`` (0): an operator who sets costs gets the
cheapest pool that fits, and spread or pack decides only between pools
of equal cost (see ``[brick_scheduler]weigher_precedence``).
"""

from brick.scheduler.weighers import base


class CostWeigher(base.BaseWeigher):
    precedence = 1
    """Cost ranks before spread or pack: the cheapest pool that fits
    wins, free space decides between equal costs."""

    def weigh_all(self, ctx, volume, pairs):
        return -pairs.column('cost')

    def weigh(self, ctx, host, pool, volume):
        return -float(pool.cost)
