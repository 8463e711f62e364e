# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""A scheduler filter and a weigher plugin, and a decision that uses them.

Register them in your package's ``setup.cfg``::

    [entry_points]
    brick.scheduler.filters =
        fill_limit = mypackage.filters:FillLimitFilter
    brick.scheduler.weighers =
        role = mypackage.weighers:RoleWeigher

and name them in ``[brick_scheduler]enabled_filters`` and
``enabled_weighers``.  Run by tests/docs/test_examples.py.
"""

from brick import exception
from brick import units
from brick.scheduler import cache
from brick.scheduler import filters
from brick.scheduler import request
from brick.scheduler import selector
from brick.scheduler import state
from brick.scheduler import weighers
from brick.scheduler.filters import base as filter_base
from brick.scheduler.weighers import base as weigher_base


class FillLimitFilter(filter_base.BaseFilter):
    """Keep every pool at most 80% full, whatever its allocation ratio."""

    name = 'fill_limit'  # set from the entry point when loaded by name
    limit = 0.8

    def check(self, ctx, host, pool, volume):
        after = pool.used + pool.unmanaged + state.charge(pool, volume.size)
        if after > pool.capacity * self.limit:
            # "kind: detail": explanations count the kinds.
            return 'pool too full: %s would be %.0f%% full' % (
                pool.key, 100.0 * after / max(pool.capacity, 1))
        return None


class RoleWeigher(weigher_base.BaseWeigher):
    """Prefer pools whose role is ``fast``."""

    name = 'role'
    minval, maxval = 0.0, 1.0

    def weigh(self, ctx, host, pool, volume):
        return 1.0 if pool.role == 'fast' else 0.0


def cluster():
    """Two hosts of one rack, each with one pool."""
    hosts = [state.HostState('h1', zone='z1', rack='r1'),
             state.HostState('h2', zone='z1', rack='r1')]
    pools = [state.PoolState('ssd', 'lvm', host='h1', rack='r1', zone='z1',
                             total=100 * units.Gi, used=75 * units.Gi,
                             role='fast'),
             state.PoolState('hdd', 'lvm', host='h2', rack='r1', zone='z1',
                             total=1000 * units.Gi, role='bulk')]
    states = cache.StateCache()
    states.apply(cache.Changes(hosts=hosts, pools=pools))
    return states


if __name__ == '__main__':
    # Built-in plugins by name, the new ones as instances; a weigher not
    # in [brick_scheduler] gets the multiplier 1.0.
    chooser = selector.Selector(
        cluster(),
        filters=filters.load(['state', 'capacity']) + [FillLimitFilter()],
        weighers=weighers.load(['capacity']) + [RoleWeigher()])

    small = chooser.select(request.build(size='1G'))
    print('1 GiB goes to', small.best.pools[0])        # fast and still room
    large = chooser.select(request.build(size='10G'))
    print('10 GiB goes to', large.best.pools[0])       # ssd would pass 80%
    print(large.explanation.why('h1'))
    try:
        chooser.select(request.build(size='900G'))
    except exception.NoValidHost as err:
        print(err)
