# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``max_volumes``: the storage host holds fewer volumes than allowed.

Counted over the host's own pools, including claims this process made
since the last refresh; shared pools count towards no host.  The limit is
the lower of the request's ``max_volumes_per_host`` and
``[brick_scheduler]max_volumes_per_host``.
"""

from brick.scheduler.filters import base


class MaxVolumesFilter(base.BaseFilter):
    def applies(self, ctx, volume):
        return ctx.max_volumes is not None

    def mask(self, ctx, volume, pairs):
        if ctx.max_volumes is None:
            return pairs.hosts == pairs.hosts
        held = ctx.host_volumes()[pairs.column('host')]
        return (pairs.column('scope') != 0) | (held + 1 <= ctx.max_volumes)

    def check(self, ctx, host, pool, volume):
        limit = ctx.max_volumes
        if limit is None or pool.scope != 'host':
            return None
        owner = host if pool.host == host.name else ctx.cache.hosts.get(
            pool.host)
        count = owner.volumes if owner is not None else 0
        if count + 1 > limit:
            return 'too many volumes: %s holds %d, limit %d' % (
                pool.host, count, limit)
        return None
