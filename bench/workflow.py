# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""What the placement workflow costs per placement, over the drivers.

::

    python -m bench workflow [-- --count 100 --driver noop --no-persist]

For each driver (``raw`` and ``qcow2`` on real files, and ``noop``, a
driver that does nothing, to show the workflow's own cost) a fresh
SQLite inventory with three hosts gets ``--count`` boots of one 64 MiB
volume each, through :class:`brick.api.API` (select, reserve two,
create, boot with a handler that does nothing, commit; flows persisted
unless ``--no-persist``; ``--reserve-count`` sets X), after a few
untimed ones.  It prints
placements per second, the median wall time of a placement, the median
time spent in the driver's create and attach, and the median of each
placement's wall time minus its driver time: the workflow's overhead
(target: under 10 ms).  It asserts nothing.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings

warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')

from oslo_config import cfg  # noqa: E402

import brick.conf  # noqa: E402
from brick import api  # noqa: E402
from brick import drivers  # noqa: E402
from brick import units  # noqa: E402
from brick.db import engine  # noqa: E402
from brick.db import migration  # noqa: E402
from brick.drivers import base  # noqa: E402
from brick.drivers import volume as volume_mod  # noqa: E402
from brick.inventory import declarative  # noqa: E402
from brick.inventory import file as inventory_file  # noqa: E402
from brick.node import agent  # noqa: E402

HOSTS = ('host1', 'host2', 'host3')
SIZE = 64 * units.Mi
WARMUP = 5


class NoopDriver(base.VolumeDriver):
    """Creates nothing, instantly; reports a huge pool.  Registered in
    the inventory as ``raw`` (the scheduler only needs a known name)."""

    name = 'noop'

    def __init__(self):
        super().__init__(None, 'noop')
        self.volumes = {}

    def check(self):
        pass

    def step(self):
        return 512

    def _create(self, name, size):
        found = volume_mod.Volume(name, size, '/dev/null/' + name, 'raw',
                                  True)
        self.volumes[name] = found
        return found

    def _delete(self, name):
        self.volumes.pop(name, None)

    def _extend(self, name, size):
        return self._create(name, size)

    def _get(self, name):
        return self.volumes[name]

    def _list(self):
        return list(self.volumes.values())

    def _capacity(self):
        total = 1024 * units.Ti
        return volume_mod.CapacityReport(
            total=total, free=total, provisioned=0, allocation_ratio=1.0,
            max_volume=total, step=512)

    def _attach(self, name):
        return {'driver_volume_type': 'local',
                'data': {'device_path': '/dev/null', 'format': 'raw',
                         'name': name}}


class TimedNode(agent.NodeAgent):
    """Adds up the seconds spent in the driver (create and attach)."""

    def __init__(self, host, pools):
        super().__init__(host, pools)
        self.seconds = []

    def create_volume(self, pool, name, size):
        start = time.perf_counter()
        try:
            return super().create_volume(pool, name, size)
        finally:
            self.seconds.append(time.perf_counter() - start)


def site(driver):
    pools = ''.join('  - {name: pool, driver: %s, host: %s}\n' % (
        'raw' if driver == 'noop' else driver, host) for host in HOSTS)
    return ('zones: [{name: z1}]\nracks:\n  - {name: r1, zone: z1}\n'
            '  - {name: r2, zone: z1}\nhosts:\n'
            '  - {name: host1, rack: r1}\n  - {name: host2, rack: r1}\n'
            '  - {name: host3, rack: r2}\npools:\n' + pools)


def measure(driver, count, persist, workdir, reserve_count=2):
    conf = cfg.ConfigOpts()
    brick.conf.register_opts(conf)
    conf([], default_config_files=[])
    conf.set_override('data_dir', workdir, group='brick')
    conf.set_override('persist', persist, group='brick_workflow')
    conf.set_override('reserve_count', reserve_count, group='brick_workflow')
    db = engine.Database.from_conf(conf)
    migration.upgrade(db)
    declarative.apply(db, inventory_file.parse(site(driver), 'bench'))
    nodes = []
    for host in HOSTS:
        pool = NoopDriver() if driver == 'noop' else drivers.load(
            driver, pool='pool', path=os.path.join(workdir, host))
        nodes.append(TimedNode(host, {'pool': pool}))
    service = api.API(conf, nodes=nodes, db=db)
    service.setup()
    service.handlers.register('noop', lambda instance, host, volumes: None)
    kind = 'raw' if driver == 'noop' else driver
    walls, drives = [], []
    try:
        for i in range(WARMUP + count):
            before = sum(sum(node.seconds) for node in nodes)
            start = time.perf_counter()
            service.boot_instance('vm%05d' % i, 'noop', size=SIZE,
                                  driver=kind)
            walls.append(time.perf_counter() - start)
            drives.append(sum(sum(node.seconds) for node in nodes) - before)
    finally:
        service.close()
    walls, drives = walls[WARMUP:], drives[WARMUP:]
    # The overhead is the median of each placement's own wall minus
    # driver time: steadier than a difference of two medians when the
    # driver's time varies (qemu-img).
    return {'driver': driver, 'persist': persist, 'count': count,
            'per_second': count / sum(walls),
            'median_ms': statistics.median(walls) * 1000,
            'driver_ms': statistics.median(drives) * 1000,
            'overhead_ms': statistics.median(
                wall - drive for wall, drive in zip(walls, drives,
                                                    strict=True)) * 1000}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--count', type=int, default=100,
                        help='timed placements per driver (default 100)')
    parser.add_argument('--driver', action='append',
                        choices=('raw', 'qcow2', 'noop'),
                        help='only this driver (repeatable)')
    parser.add_argument('--reserve-count', type=int, default=2,
                        help='[brick_workflow]reserve_count (default 2)')
    parser.add_argument('--no-persist', action='store_true',
                        help='only without flow persistence')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    runs = [(name, persist) for name in args.driver or ('raw', 'qcow2',
                                                        'noop')
            for persist in ((False,) if args.no_persist else (True, False))]
    rows = []
    for name, persist in runs:
        if name == 'qcow2' and shutil.which('qemu-img') is None:
            print('skipped qcow2: qemu-img is not installed')
            continue
        with tempfile.TemporaryDirectory(prefix='brick-bench-') as workdir:
            rows.append(measure(name, args.count, persist, workdir,
                                args.reserve_count))
    print('\nplacement workflow, SQLite, 3 hosts, %d boots of one %s '
          'volume per row, reserve_count %d (median per placement)\n' % (
              args.count, units.human(SIZE), args.reserve_count))
    print('%-6s %-8s %12s %12s %12s %14s' % (
        'driver', 'persist', 'placements/s', 'total ms', 'driver ms',
        'workflow ms'))
    for row in rows:
        print('%-6s %-8s %12.1f %12.2f %12.2f %14.2f' % (
            row['driver'], 'yes' if row['persist'] else 'no',
            row['per_second'], row['median_ms'], row['driver_ms'],
            row['overhead_ms']))
    print('\nworkflow ms = median of (total - driver) per placement: '
          'select, reserve, commit, release and the flow records; '
          'target < 10 ms.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
