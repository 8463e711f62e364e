# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Helpers for the ``brick`` command tests.

The tests run the real cliff application in-process through
:func:`brick.cmd.cli.main`.  Most use the node's real default pools in a
temporary data dir; :class:`MemoryDriver`, a small fake subclassing the
real :class:`~brick.drivers.base.VolumeDriver`, covers what the file
drivers cannot be made to do on demand (a busy volume, a failing host).
"""

import dataclasses
import json

from brick import exception
from brick import units
from brick.cmd import cli
from brick.drivers import base
from brick.drivers import volume as volume_module
from brick.node import agent

Capability = volume_module.Capability


@dataclasses.dataclass
class Outcome:
    """What one ``brick`` run did."""

    code: int
    stdout: str
    stderr: str

    def json(self):
        assert self.code == 0, self.stderr
        return json.loads(self.stdout)


def run(capsys, *argv, node=None):
    """Run ``brick *argv`` in-process and return its :class:`Outcome`.

    Output is captured with pytest's *capsys* because argparse writes
    usage errors straight to ``sys.stderr``.
    """
    capsys.readouterr()  # drop anything printed before
    code = cli.main(list(argv), node=node)
    out, err = capsys.readouterr()
    return Outcome(code, out, err)


class MemoryDriver(base.VolumeDriver):
    """Volumes in a dict; can be told to fail or to hold a volume busy."""

    name = 'memory'
    capabilities = frozenset({Capability.SNAPSHOT, Capability.CLONE})

    def __init__(self, executor=None, pool=None, total=4 * units.Gi,
                 failure=None):
        super().__init__(executor=executor, pool=pool)
        self.total = total
        self.failure = failure
        """A BrickException to raise from check(), as a broken pool."""
        self.volumes = {}
        self.snapshots = {}
        self.busy = set()
        self.attached = set()
        self.checks = 0

    def check(self):
        self.checks += 1
        if self.failure is not None:
            raise self.failure

    def step(self):
        return 512

    def _volume(self, name):
        if name not in self.volumes:
            raise exception.VolumeNotFound(name=name, pool=self.pool)
        return self.volumes[name]

    def _make(self, name, size, backing=None):
        used = sum(v.size for v in self.volumes.values())
        if used + size > self.total:
            raise exception.InsufficientCapacity(
                pool=self.pool, requested=size, available=self.total - used)
        volume = volume_module.Volume(
            name=name, size=size, path='/memory/%s/%s' % (self.pool, name),
            format='raw', managed=True, allocated=0, backing=backing)
        self.volumes[name] = volume
        return volume

    def _create(self, name, size):
        existing = self.volumes.get(name)
        if existing is not None:
            if existing.size == size:
                return existing
            raise exception.VolumeExists(
                name=name, pool=self.pool, existing=existing.size,
                requested=size)
        return self._make(name, size)

    def _delete(self, name):
        if name in self.busy:
            raise exception.VolumeBusy(name=name, reason='attached to vm1')
        self.volumes.pop(name, None)

    def _extend(self, name, size):
        volume = self._volume(name)
        if size < volume.size:
            raise exception.InvalidSize(
                field='new volume size', value=size, reason='smaller',
                allowed='at least %d' % volume.size)
        self.volumes[name] = dataclasses.replace(volume, size=size)
        return self.volumes[name]

    def _get(self, name):
        return self._volume(name)

    def _list(self):
        return list(self.volumes.values())

    def _capacity(self):
        used = sum(v.size for v in self.volumes.values())
        return volume_module.CapacityReport(
            total=self.total, free=self.total - used, provisioned=used,
            allocation_ratio=1.0, max_volume=self.total - used, step=512,
            volumes=len(self.volumes))

    def _attach(self, name):
        volume = self._volume(name)
        self.attached.add(name)
        return {'driver_volume_type': 'local',
                'data': {'device_path': volume.path, 'format': 'raw',
                         'name': name}}

    def _detach(self, name):
        self.attached.discard(name)

    def _create_snapshot(self, volume, name):
        size = self._volume(volume).size
        snapshot = volume_module.Snapshot(name=name, volume=volume,
                                          size=size, created_at=0.0)
        return self.snapshots.setdefault((volume, name), snapshot)

    def _list_snapshots(self, volume):
        self._volume(volume)
        return [s for (v, _), s in self.snapshots.items() if v == volume]

    def _delete_snapshot(self, volume, name):
        self.snapshots.pop((volume, name), None)

    def _revert_snapshot(self, volume, name):
        if (volume, name) not in self.snapshots:
            raise exception.SnapshotNotFound(name=name, volume=volume)

    def _clone(self, source, name, overlay):
        return self._make(name, self._volume(source).size)


def memory_node(**pools):
    """A :class:`~brick.node.agent.NodeAgent` of MemoryDriver pools.

    :param pools: pool name to MemoryDriver keyword arguments.
    """
    return agent.NodeAgent('memory', {
        name: MemoryDriver(pool=name, **kwargs)
        for name, kwargs in pools.items()})


RAW_POOLS = """\
[brick]
data_dir = {tmp}/data

[brick_node]
pools = raw, fast

[pool:raw]
driver = raw
path = {tmp}/data/pools/raw

[pool:fast]
driver = raw
path = {tmp}/fast
"""
"""Two raw pools: the raw driver runs no program, so the unit tests of
the real stack need nothing installed."""


class Brick:
    """Runs ``brick`` in-process on a node of two real raw pools.

    :param capsys: pytest's capsys fixture.
    :param tmp_path: where the configuration and the pools live.
    """

    def __init__(self, capsys, tmp_path):
        self.capsys = capsys
        self.tmp_path = tmp_path
        self.config = tmp_path / 'brick.conf'
        self.config.write_text(RAW_POOLS.format(tmp=tmp_path))

    def __call__(self, *argv):
        return run(self.capsys, '--config-file', str(self.config), *argv)

    def path(self, name, pool='raw'):
        """The file of volume *name* in *pool*."""
        base = self.tmp_path / ('data/pools/raw' if pool == 'raw'
                                else pool)
        return base / name

    def files(self):
        """Every volume file of both pools (the host's view)."""
        return sorted(
            str(path.relative_to(self.tmp_path))
            for base in (self.tmp_path / 'data/pools/raw',
                         self.tmp_path / 'fast') if base.exists()
            for path in base.iterdir() if not path.name.startswith('.'))
