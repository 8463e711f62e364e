# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""A minimal volume driver: sparse files in a directory.

It implements only what every driver must (the protected methods of
:class:`brick.drivers.base.VolumeDriver`) and declares one capability,
``thin``.  tests/docs/test_examples.py runs brick's driver contract
suite (tests/functional/contract.py) against it.  Register it with::

    [entry_points]
    brick.volume_drivers =
        sparse = mypackage.sparse:SparseDriver
"""

import os

from oslo_config import cfg

from brick import exception
from brick import units
from brick.drivers import base
from brick.drivers.volume import Capability
from brick.drivers.volume import CapacityReport
from brick.drivers.volume import Volume


class SparseDriver(base.VolumeDriver):
    """Volumes are sparse files ``<path>/<name>``.

    Needs on the host: a directory.  Cannot: snapshots, clones, shrink.
    Files brick made are marked by an empty file in ``<path>/.managed``.
    """

    name = 'sparse'
    capabilities = frozenset({Capability.THIN})
    OPTS = [cfg.StrOpt('path', required=True,
                       help='Directory holding the volume files.'),
            base.ALLOCATION_RATIO_OPT]

    def __init__(self, executor=None, pool=None, path=None,
                 allocation_ratio=1.0):
        super().__init__(executor, pool)  # stores; touches nothing
        self.path = path
        self.allocation_ratio = allocation_ratio
        self.marks = os.path.join(path, '.managed')

    def check(self):
        os.makedirs(self.marks, mode=0o700, exist_ok=True)

    def step(self):
        return 512

    def _file(self, name):
        return os.path.join(self.path, name)

    def _volume(self, name, stat):
        return Volume(name=name, size=stat.st_size, path=self._file(name),
                      format='raw', allocated=stat.st_blocks * 512,
                      managed=os.path.exists(os.path.join(self.marks, name)))

    def _get(self, name):
        try:
            return self._volume(name, os.stat(self._file(name)))
        except FileNotFoundError:
            raise exception.VolumeNotFound(name=name, pool=self.pool) \
                from None

    def _list(self):
        return [self._get(entry.name) for entry in sorted(
            os.scandir(self.path), key=lambda e: e.name)
            if entry.is_file(follow_symlinks=False)
            and not entry.name.startswith('.')]

    def _capacity(self):
        fs = os.statvfs(self.path)
        total, free = fs.f_blocks * fs.f_frsize, fs.f_bavail * fs.f_frsize
        volumes = self._list()
        provisioned = sum(v.size for v in volumes)
        others = [v for v in volumes if not v.managed]
        room = int(total * self.allocation_ratio) - provisioned
        return CapacityReport(
            total=total, free=free, provisioned=provisioned,
            allocation_ratio=self.allocation_ratio,
            max_volume=max(0, room) // 512 * 512, step=512,
            volumes=len(volumes), unmanaged=sum(v.size for v in others),
            unmanaged_volumes=len(others))

    def _fits(self, size):
        room = self._capacity().max_volume
        if size > room:
            raise exception.InsufficientCapacity(
                pool=self.pool, requested=size, available=room)

    def _create(self, name, size):
        try:
            existing = self._get(name)
        except exception.VolumeNotFound:
            existing = None
        if existing is not None:
            if existing.size != size:
                raise exception.VolumeExists(
                    name=name, pool=self.pool, requested=size,
                    existing=units.human(existing.size))
            return existing
        self._fits(size)
        open(os.path.join(self.marks, name), 'w').close()
        with open(self._file(name), 'x') as f:  # never overwrite
            f.truncate(size)
        return self._get(name)

    def _extend(self, name, size):
        volume = self._get(name)
        if size < volume.size:
            raise exception.InvalidSize(
                field='new volume size', value=size,
                reason='smaller than the volume (%d); shrink is not '
                       'supported' % volume.size,
                allowed='at least %d bytes' % volume.size)
        if size > volume.size:
            self._fits(size - volume.size)
            os.truncate(self._file(name), size)
        return self._get(name)

    def _delete(self, name):
        for path in (self._file(name), os.path.join(self.marks, name)):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass

    def _attach(self, name):
        volume = self._get(name)
        return {'driver_volume_type': 'local',
                'data': {'device_path': volume.path, 'format': 'raw',
                         'name': name}}


if __name__ == '__main__':
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        driver = SparseDriver(pool='demo', path=tmp)
        driver.check()
        print(driver.create('vol1', 10 * units.Gi))
        print(driver.extend('vol1', 20 * units.Gi).size)
        print(driver.capacity())
        driver.delete('vol1')
