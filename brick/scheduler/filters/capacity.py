# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``capacity``: the volume fits the pool now.

The volume is charged its size rounded up to the pool's step.  It fits
when ``min_unit <= size <= max_unit``, ``size <= free`` where
``free = int((total - reserved) * allocation_ratio) - used - unmanaged``
(``used`` counts allocations and live reservations, this process's own
included the moment it claims), and ``size`` is no larger than the
largest volume the node reported it could create.  These are Placement's
inventory fields, whose capacity is ``int((total - reserved) *
allocation_ratio)`` (openstack/placement ``placement/objects/inventory.py``,
``Inventory.capacity``), and Cinder's CapacityFilter arithmetic for thin
over-subscription (openstack/cinder
``cinder/scheduler/filters/capacity_filter.py``, unified in commit
856d3e10), with one source of truth for filtering and weighing.
"""


from brick import units
from brick.scheduler import state
from brick.scheduler.filters import base


def charges(volume, pairs):
    """:func:`brick.scheduler.state.charge` of *volume* in every pair's
    pool: its size rounded up to the pool's step (computed once per
    distinct step); a scalar when every pool has the same step."""
    table = pairs.columns.charges(volume.size)
    if len(table) == 1:
        # One step everywhere: numpy broadcasts the scalar.
        return table[0]
    return table[pairs.column('step_class')]


class CapacityFilter(base.BaseFilter):
    def mask(self, ctx, volume, pairs):
        size = charges(volume, pairs)
        keep = size <= pairs.column('room')
        if (pairs.columns.pools.min_unit[:pairs.columns.pools.size] > 1
                ).any():
            keep &= size >= pairs.column('min_unit')
        return keep

    def check(self, ctx, host, pool, volume):
        size = state.charge(pool, volume.size)
        if size < pool.min_unit:
            return 'below minimum volume: %s takes %s or more, asked %s' % (
                pool.key, units.human(pool.min_unit), units.human(size))
        if pool.max_unit is not None and size > pool.max_unit:
            return 'above maximum volume: %s takes up to %s, asked %s' % (
                pool.key, units.human(pool.max_unit), units.human(size))
        if size > pool.free:
            return ('not enough free space: %s has %s free of %s '
                    '(used %s, unmanaged %s), asked %s' % (
                        pool.key, units.human(pool.free),
                        units.human(pool.capacity), units.human(pool.used),
                        units.human(pool.unmanaged), units.human(size)))
        if pool.max_volume is not None and size > pool.max_volume:
            return ('larger than the largest volume: %s can create up to '
                    '%s, asked %s' % (pool.key, units.human(pool.max_volume),
                                      units.human(size)))
        return None
