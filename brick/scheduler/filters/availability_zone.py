# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``availability_zone``: consumer and pool are in the requested
availability zone and rack.

An absolute place, unlike ``locality`` (which is relative to the
consumer): ``availability_zone=z2`` keeps the consumer host and every
pool in zone z2, as Nova's AvailabilityZoneFilter and Cinder's
``availability_zone`` on a volume create do; ``rack=r17`` keeps both in
rack r17, where a pool shared by the whole zone does not count as in the
rack.  Both come from an argument, a scheduler hint or the flavor's
``brick:availability_zone`` / ``brick:rack``, and are checked against
the inventory before any filter runs (:mod:`brick.scheduler.context`).
"""

import numpy as np

from brick.scheduler.filters import base


class AvailabilityZoneFilter(base.BaseFilter):
    def applies(self, ctx, volume):
        return ctx.request.availability_zone is not None or \
            ctx.request.rack is not None

    def mask(self, ctx, volume, pairs):
        cols = pairs.columns
        keep = np.ones(len(pairs), dtype=np.bool_)
        for field, names, value in (
                ('zone', cols.zones, ctx.request.availability_zone),
                ('rack', cols.racks, ctx.request.rack)):
            if value is None:
                continue
            wanted = names.get(value)
            wanted = -2 if wanted is None else wanted
            keep &= (pairs.column(field) == wanted) & (
                getattr(cols.hosts, field)[pairs.hosts] == wanted)
        return keep

    def check(self, ctx, host, pool, volume):
        request = ctx.request
        for field, what, value in (
                ('zone', 'availability zone', request.availability_zone),
                ('rack', 'rack', request.rack)):
            if value is None:
                continue
            where = getattr(pool, field) if not (
                field == 'rack' and pool.scope == 'zone') else None
            if where != value:
                return 'outside the %s: %s is in %s %s, asked %s' % (
                    what, pool.key, what, where or 'none', value)
            if getattr(host, field) != value:
                return 'outside the %s: host %s is in %s %s, asked %s' % (
                    what, host.name, what, getattr(host, field) or 'none',
                    value)
        return None
