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
    python -m bench workflow -- --driver noop --compare /tmp/brick-main
    python -m bench workflow -- --driver noop --instructions

For each driver (``raw`` and ``qcow2`` on real files, and ``noop``, a
driver that does nothing, to show the workflow's own cost) a fresh
SQLite inventory with three hosts gets ``--count`` boots of one 64 MiB
volume each, through :class:`brick.api.API` (select, reserve two,
create, boot with a handler that does nothing, commit; flows persisted
unless ``--no-persist``; ``--reserve-count`` sets X), after a few
untimed ones.  It prints placements per second, the median wall time of
a placement, the median time spent in the driver's create and attach,
the median of each placement's wall time minus its driver time (the
workflow's overhead; target: under 5 ms) and the median CPU time of the
thread that placed (which other load on the machine disturbs less than
wall time).  It asserts nothing.

``--compare PATH`` measures the brick found at PATH too (a tree with a
``brick`` package, e.g. ``git archive main | tar -x -C PATH``), in
child processes that alternate with this brick's, so that both are
measured on the same machine in the same minutes.  ``--instructions``
counts the CPU instructions per placement under valgrind's callgrind
instead of timing (deterministic: the figure to compare across runs and
machines; a few minutes per row).
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
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


def measure(driver, count, persist, workdir, reserve_count=2, mark=None):
    """One row: *count* boots after :data:`WARMUP` untimed ones.

    :param mark: optional ``mark(word)``, called with ``'ready'`` before
        the first timed boot and ``'done'`` after the last.
    """
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
    walls, drives, cpus = [], [], []
    try:
        for i in range(WARMUP + count):
            if i == WARMUP and mark is not None:
                mark('ready')
            before = sum(sum(node.seconds) for node in nodes)
            cpu = time.thread_time()
            start = time.perf_counter()
            service.boot_instance('vm%05d' % i, 'noop', size=SIZE,
                                  driver=kind)
            walls.append(time.perf_counter() - start)
            cpus.append(time.thread_time() - cpu)
            drives.append(sum(sum(node.seconds) for node in nodes) - before)
        if mark is not None:
            mark('done')
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
                                                    strict=True)) * 1000,
            'cpu_ms': statistics.median(cpus[WARMUP:]) * 1000}


# A child process measures one row of the brick at a PATH: that brick
# first on sys.path, this file loaded by its path (the tree at PATH may
# have another bench).
_CHILD = """
import importlib.util, json, os, sys, tempfile, time, warnings
warnings.filterwarnings('ignore', message=r'\\s*Eventlet is deprecated')
code, args = sys.argv[1], json.loads(sys.argv[2])
if code:
    sys.path.insert(0, code)
spec = importlib.util.spec_from_file_location('brick_bench_workflow',
                                              args['bench'])
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)
def mark(word):
    flags = args.get('flags')
    if not flags:
        return
    open(flags + '.' + word, 'w').close()
    while not os.path.exists(flags + '.go' + word):
        time.sleep(0.02)
with tempfile.TemporaryDirectory(prefix='brick-bench-') as workdir:
    row = bench.measure(args['driver'], args['count'], args['persist'],
                        workdir, args['reserve_count'], mark)
import brick
row['code'] = os.path.dirname(os.path.dirname(brick.__file__))
print('ROW ' + json.dumps(row), flush=True)
"""


def _child_args(code, driver, count, persist, reserve_count, flags=None):
    spec = {'bench': os.path.abspath(__file__), 'driver': driver,
            'count': count, 'persist': persist,
            'reserve_count': reserve_count, 'flags': flags}
    return [sys.executable, '-c', _CHILD, code or '', json.dumps(spec)]


def in_child(code, driver, count, persist, reserve_count):
    """:func:`measure` in a child process, with the brick at *code*
    (None: this one)."""
    done = subprocess.run(_child_args(code, driver, count, persist,
                                      reserve_count),
                          capture_output=True, text=True, check=True)
    line = [one for one in done.stdout.splitlines() if one.startswith('ROW ')]
    return json.loads(line[-1][4:])


def _wait_for(path, process):
    while not os.path.exists(path):
        if process.poll() is not None:
            raise RuntimeError('the measured process ended early')
        time.sleep(0.05)


def instructions(code, driver, count, persist, reserve_count):
    """CPU instructions per placement, from valgrind's callgrind: counting
    is switched on for the timed boots only (``callgrind_control``)."""
    with tempfile.TemporaryDirectory(prefix='brick-bench-cg-') as tmp:
        flags = os.path.join(tmp, 'flag')
        log = os.path.join(tmp, 'valgrind.log')
        process = subprocess.Popen(
            ['valgrind', '--tool=callgrind', '--instr-atstart=no',
             '--callgrind-out-file=' + os.path.join(tmp, 'callgrind.out'),
             '--log-file=' + log]
            + _child_args(code, driver, count, persist, reserve_count,
                          flags), stdout=subprocess.DEVNULL)
        try:
            for word in ('ready', 'done'):
                _wait_for(flags + '.' + word, process)
                subprocess.run(['callgrind_control', '-i',
                                'on' if word == 'ready' else 'off',
                                str(process.pid)], capture_output=True,
                               check=True)
                time.sleep(0.2)
                open(flags + '.go' + word, 'w').close()
            process.wait(600)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        with open(log) as found:
            counted = re.search(r'Collected : (\d+)', found.read())
    return int(counted.group(1)) / count if counted else float('nan')


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
    parser.add_argument('--compare', metavar='PATH',
                        help='also measure the brick at PATH, alternating')
    parser.add_argument('--rounds', type=int, default=3,
                        help='with --compare: rounds per brick (default 3)')
    parser.add_argument('--instructions', action='store_true',
                        help='count instructions under valgrind instead '
                             'of timing')
    return parser.parse_args(argv)


def _rows(args, runs):
    """``[(label, row)]``: every run, for this brick and for --compare's,
    alternating, each row its median round (by overhead)."""
    codes = [('this', None)]
    if args.compare:
        codes.append(('compare', os.path.abspath(args.compare)))
    rows = []
    for name, persist in runs:
        found = {label: [] for label, _ in codes}
        rounds = args.rounds if args.compare else 1
        for _ in range(rounds):
            for label, code in codes:
                if args.instructions:
                    found[label].append({
                        'driver': name, 'persist': persist,
                        'instructions': instructions(
                            code, name, args.count, persist,
                            args.reserve_count)})
                elif code is None and not args.compare:
                    with tempfile.TemporaryDirectory(
                            prefix='brick-bench-') as workdir:
                        found[label].append(measure(
                            name, args.count, persist, workdir,
                            args.reserve_count))
                else:
                    found[label].append(in_child(code, name, args.count,
                                                 persist, args.reserve_count))
        for label, _ in codes:
            key = 'instructions' if args.instructions else 'overhead_ms'
            ordered = sorted(found[label], key=lambda row: row[key])
            rows.append((label, ordered[len(ordered) // 2]))
    return rows


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    runs = [(name, persist) for name in args.driver or ('raw', 'qcow2',
                                                        'noop')
            for persist in ((False,) if args.no_persist else (True, False))]
    if 'qcow2' in [name for name, _ in runs] and not shutil.which(
            'qemu-img'):
        print('skipped qcow2: qemu-img is not installed')
        runs = [run for run in runs if run[0] != 'qcow2']
    if args.instructions and not shutil.which('valgrind'):
        print('--instructions needs valgrind (apt-get install valgrind)')
        return 1
    rows = _rows(args, runs)
    print('\nplacement workflow, SQLite, 3 hosts, %d boots of one %s '
          'volume per row, reserve_count %d (median per placement)\n' % (
              args.count, units.human(SIZE), args.reserve_count))
    if args.instructions:
        print('%-8s %-6s %-8s %22s' % ('brick', 'driver', 'persist',
                                       'instructions (M)'))
        for label, row in rows:
            print('%-8s %-6s %-8s %22.2f' % (
                label, row['driver'], 'yes' if row['persist'] else 'no',
                row['instructions'] / 1e6))
        return 0
    print('%-8s %-6s %-8s %12s %10s %10s %12s %8s' % (
        'brick', 'driver', 'persist', 'placements/s', 'total ms',
        'driver ms', 'workflow ms', 'cpu ms'))
    for label, row in rows:
        print('%-8s %-6s %-8s %12.1f %10.2f %10.2f %12.2f %8.2f' % (
            label, row['driver'], 'yes' if row['persist'] else 'no',
            row['per_second'], row['median_ms'], row['driver_ms'],
            row['overhead_ms'], row['cpu_ms']))
    print('\nworkflow ms = median of (total - driver) per placement: '
          'select, reserve, commit, release and the flow records; '
          'target < 5 ms.  cpu ms = median CPU time of the placing '
          'thread.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
