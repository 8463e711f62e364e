# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``tags``: the pool carries every required tag and no forbidden one."""

from brick.scheduler.filters import base


class TagsFilter(base.BaseFilter):
    """Required and forbidden tags of the volume (request-wide tags are
    already merged into each volume's)."""

    def check(self, ctx, host, pool, volume):
        if volume.tags and not volume.tags <= pool.tags:
            return 'missing tags: %s lacks %s' % (
                pool.key, ','.join(sorted(volume.tags - pool.tags)))
        if volume.forbidden_tags and not volume.forbidden_tags.isdisjoint(
                pool.tags):
            return 'forbidden tags: %s has %s' % (
                pool.key, ','.join(sorted(volume.forbidden_tags & pool.tags)))
        return None

    def applies(self, ctx, volume):
        return bool(volume.tags or volume.forbidden_tags)

    def narrow(self, ctx, host, volume):
        return [('tag %s' % tag, ctx.cache.by_tag.get(tag, ()))
                for tag in sorted(volume.tags)]
