# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``tags``: the pool carries every required tag and no forbidden one."""

import numpy as np

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

    def mask(self, ctx, volume, pairs):
        cols = pairs.columns
        tags = cols.pools.tags[pairs.pools]
        keep = np.ones(len(pairs), dtype=np.bool_)
        if volume.tags:
            wanted = cols.wanted_bits(volume.tags)
            if wanted is None:
                return ~keep     # a tag no pool carries
            keep &= ((tags & wanted) == wanted).all(axis=1)
        if volume.forbidden_tags:
            known = [t for t in volume.forbidden_tags
                     if cols.tags.get(t) is not None]
            if known:
                banned = cols.wanted_bits(known)
                keep &= ~(tags & banned).any(axis=1)
        return keep
