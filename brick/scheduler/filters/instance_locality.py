# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``instance_locality``: the consumer host is the host of the instance
named by ``local_to_instance`` (Cinder's InstanceLocalityFilter, without
its call to Nova: the embedding service's locator answers)."""

from brick.scheduler.filters import base


class InstanceLocalityFilter(base.BaseFilter):
    def applies(self, ctx, volume):
        return ctx.instance_host is not None

    def mask(self, ctx, volume, pairs):
        if ctx.instance_host is None:
            return pairs.hosts == pairs.hosts
        wanted = ctx.cache.hosts.get(ctx.instance_host)
        if wanted is None:
            return pairs.hosts < 0
        return pairs.hosts == wanted.index

    def check(self, ctx, host, pool, volume):
        wanted = ctx.instance_host
        if wanted is not None and host.name != wanted:
            return 'not the instance host: instance %s runs on %s' % (
                ctx.request.local_to_instance, wanted)
        return None
