# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``driver``: the pool's driver, format and thinness suit the volume."""

import numpy as np

from brick.scheduler.filters import base


class DriverFilter(base.BaseFilter):
    """The volume's ``drivers`` (any of), ``format`` and ``thin``."""

    def check(self, ctx, host, pool, volume):
        if volume.drivers and pool.driver not in volume.drivers:
            return 'wrong driver: %s is %s, asked for %s' % (
                pool.key, pool.driver, '|'.join(volume.drivers))
        if volume.format is not None and pool.format != volume.format:
            return 'wrong format: %s makes %s volumes, asked for %s' % (
                pool.key, pool.format or 'unknown', volume.format)
        if volume.thin is not None and pool.thin != volume.thin:
            return 'wrong provisioning: %s is %s, asked for %s' % (
                pool.key, 'thin' if pool.thin else 'thick',
                'thin' if volume.thin else 'thick')
        return None

    def applies(self, ctx, volume):
        return bool(volume.drivers) or volume.format is not None or \
            volume.thin is not None

    def mask(self, ctx, volume, pairs):
        cols = pairs.columns
        keep = np.ones(len(pairs), dtype=np.bool_)
        if volume.drivers:
            wanted = cols.lookup(len(cols.drivers.names), [
                i for i in map(cols.drivers.get, volume.drivers)
                if i is not None])
            keep &= wanted[pairs.column('driver')]
        if volume.format is not None:
            found = cols.formats.get(volume.format)
            keep &= pairs.column('format') == (-2 if found is None
                                               else found)
        if volume.thin is not None:
            keep &= pairs.column('thin') == volume.thin
        return keep
