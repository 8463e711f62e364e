# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""What brick's drivers cost over the bare tools, per operation.

::

    python bench/drivers.py [--repeat 30] [--size 64M] [--driver qcow2]

For each driver, create, extend and delete a volume *repeat* times
through brick and the same number of times with the bare tool, in the
same run and interleaved (brick first on even rounds, bare first on odd
ones), and print the median wall time of each, their ratio, and how many
external commands brick ran per operation (``Executor.count``).  Targets:
at most one command per create, extend and delete, and a ratio of at
most 1.2.  Then, for ``true`` and ``qemu-img --version``, what launching
one command costs through brick's Executor, through
``processutils.execute`` and through a bare ``subprocess.run``
(``--heap`` first grows this process, as a large service would be).
See bench/README.md.  It asserts nothing.
"""

import argparse
import contextlib
import dataclasses
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:  # run as a script: tests.functional is needed
    sys.path.insert(0, ROOT)

from oslo_concurrency import processutils  # noqa: E402

from brick import drivers  # noqa: E402
from brick import exception  # noqa: E402
from brick import units  # noqa: E402
from brick.local import executor as executor_module  # noqa: E402

OPERATIONS = ('create', 'extend', 'delete')
DRIVERS = ('raw', 'qcow2', 'vdi', 'lvm', 'lvm-thin')
TARGET_COMMANDS = 1
TARGET_RATIO = 1.2
_ENV = dict(os.environ, LC_ALL='C')


class Skip(Exception):
    """This driver cannot be measured here; the message says why."""


def _run(*argv, env=None):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE, env=env or _ENV)


class Bare:
    """The same job done by hand: one method per operation."""

    description = ''
    commands = {}
    """External commands per operation."""

    def __init__(self, directory):
        self.directory = directory

    def path(self, name):
        return os.path.join(self.directory, name)


class BareRaw(Bare):
    description = ('Python: open(O_CREAT|O_EXCL)+ftruncate, truncate, '
                   'unlink (truncate -s and rm without a process)')
    commands = {'create': 0, 'extend': 0, 'delete': 0}

    def create(self, name, size):
        fd = os.open(self.path(name), os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                     0o600)
        try:
            os.ftruncate(fd, size)
        finally:
            os.close(fd)

    def extend(self, name, size):
        os.truncate(self.path(name), size)

    def delete(self, name):
        os.unlink(self.path(name))


class BareQcow2(Bare):
    description = 'qemu-img create, qemu-img resize, unlink'
    commands = {'create': 1, 'extend': 1, 'delete': 0}
    fmt = 'qcow2'

    def create(self, name, size):
        _run('qemu-img', 'create', '-q', '-f', self.fmt, self.path(name),
             str(size))

    def extend(self, name, size):
        _run('qemu-img', 'resize', '-q', '-f', self.fmt, self.path(name),
             str(size))

    def delete(self, name):
        os.unlink(self.path(name))


class BareVdi(BareQcow2):
    description = ('qemu-img create; extend: qemu-img create + convert -n '
                   '--target-is-zero + rename (vdi cannot resize); unlink')
    commands = {'create': 1, 'extend': 2, 'delete': 0}
    fmt = 'vdi'

    def extend(self, name, size):
        path, temp = self.path(name), self.path('.grow-' + name)
        _run('qemu-img', 'create', '-q', '-f', 'vdi', temp, str(size))
        _run('qemu-img', 'convert', '-n', '--target-is-zero', '-f', 'vdi',
             '-O', 'vdi', path, temp)
        os.rename(temp, path)


class BareLvm(Bare):
    description = 'lvcreate -Zn, lvextend, lvremove (loop VG, activation=0)'
    commands = {'create': 1, 'extend': 1, 'delete': 1}

    def __init__(self, vg):
        super().__init__(None)
        self.vg = vg
        self.env = dict(_ENV, LVM_SYSTEM_DIR=vg.system_dir)

    def _lvm(self, command, *args):
        _run('lvm', command, '--config', self.vg.config, '--devices',
             self.vg.device, *args, env=self.env)

    def create(self, name, size):
        self._lvm('lvcreate', '--yes', '-Zn', '-n', name, '-L', '%db' % size,
                  self.vg.name)

    def extend(self, name, size):
        self._lvm('lvextend', '-L', '%db' % size, '%s/%s' % (self.vg.name,
                                                             name))

    def delete(self, name):
        self._lvm('lvremove', '--yes', '%s/%s' % (self.vg.name, name))


@contextlib.contextmanager
def file_pool(name, workdir):
    """A checked driver *name* on a directory, and its bare twin."""
    driver = drivers.load(name, executor=executor_module.Executor(),
                          path=os.path.join(workdir, name))
    driver.check()
    bare_dir = os.path.join(workdir, name + '-bare')
    os.mkdir(bare_dir)
    bare = {'raw': BareRaw, 'qcow2': BareQcow2, 'vdi': BareVdi}[name]
    yield driver, bare(bare_dir)


@contextlib.contextmanager
def lvm_pool(name, workdir, size):
    """A checked lvm driver on a loop-device VG in the metadata tier."""
    if name == 'lvm-thin':
        raise Skip('needs device-mapper for its thin pool: the metadata '
                   'tier cannot create one (run it in the QEMU guest)')
    try:
        from tests.functional.lvm import loopvg
    except ImportError as err:
        raise Skip('tests/functional/lvm/loopvg.py not found (%s)'
                   % err) from err
    if os.geteuid() != 0:
        raise Skip('loop devices need root')
    # Room for one brick and one bare volume at the extended size.
    vg_size = max(256 * units.Mi, 8 * size)
    with contextlib.ExitStack() as stack:
        try:
            vg = stack.enter_context(loopvg.loop_volume_group(
                size=vg_size, activation=False, prefix='brick-bench',
                directory=workdir))
        except Exception as err:
            raise Skip('no loop-device VG here: %s' % err) from err
        driver = vg.driver('lvm', volume_clear='none')
        driver.check()
        yield driver, BareLvm(vg)


@dataclasses.dataclass
class Row:
    driver: str
    operation: str
    brick_ms: float
    bare_ms: float
    commands: float
    bare_commands: int
    programs: str

    @property
    def ratio(self):
        return self.brick_ms / self.bare_ms if self.bare_ms else float('inf')

    def misses(self):
        return (self.commands > TARGET_COMMANDS
                or self.ratio > TARGET_RATIO)


def _programs(records):
    """``qemu-img create`` for a record list: program and subcommand."""
    names = []
    for record in records:
        argv = record.argv
        # skip env/root-helper prefixes; keep "lvm lvcreate" style pairs
        while argv and ('=' in argv[0] or argv[0] in ('env', 'sudo')):
            argv = argv[1:]
        words = [os.path.basename(argv[0])] if argv else ['?']
        if len(argv) > 1 and not argv[1].startswith('-'):
            words.append(argv[1])
        name = ' '.join(words)
        if name not in names:
            names.append(name)
    return ', '.join(names) or '-'


def measure(name, driver, bare, repeat, size, warmup=2):
    """Time each operation through *driver* and *bare*; return Rows."""
    executor = driver.executor
    times = {(who, op): [] for who in ('brick', 'bare') for op in OPERATIONS}
    counts = {op: [] for op in OPERATIONS}
    programs = {op: [] for op in OPERATIONS}
    sizes = {'create': size, 'extend': 2 * size}

    def brick_op(op, volume):
        before = executor.count
        start = time.perf_counter()
        if op == 'delete':
            driver.delete(volume)
        else:
            getattr(driver, op)(volume, sizes[op])
        elapsed = time.perf_counter() - start
        ran = executor.count - before
        return elapsed, ran, list(executor.history)[-ran:] if ran else []

    def bare_op(op, volume):
        start = time.perf_counter()
        if op == 'delete':
            bare.delete(volume)
        else:
            getattr(bare, op)(volume, sizes[op])
        return time.perf_counter() - start

    for i in range(warmup + repeat):
        volume = 'bench%d' % i
        timed = i >= warmup
        for op in OPERATIONS:
            order = ('brick', 'bare') if i % 2 == 0 else ('bare', 'brick')
            for who in order:
                if who == 'brick':
                    elapsed, ran, records = brick_op(op, volume)
                    if timed:
                        counts[op].append(ran)
                        programs[op].extend(records)
                else:
                    # its own name: the lvm twins share one VG
                    elapsed = bare_op(op, 'bare%d' % i)
                if timed:
                    times[(who, op)].append(elapsed * 1000)
    return [Row(driver=name, operation=op,
                brick_ms=statistics.median(times[('brick', op)]),
                bare_ms=statistics.median(times[('bare', op)]),
                commands=statistics.mean(counts[op]),
                bare_commands=bare.commands[op],
                programs=_programs(programs[op]))
            for op in OPERATIONS]


def print_table(rows, out=sys.stdout):
    header = ('driver', 'operation', 'brick ms', 'bare ms', 'ratio',
              'commands', 'bare cmds', 'brick ran')
    lines = [header]
    for row in rows:
        lines.append((row.driver, row.operation, '%.2f' % row.brick_ms,
                      '%.2f' % row.bare_ms, '%.2f%s' % (
                          row.ratio, ' *' if row.ratio > TARGET_RATIO
                          else ''),
                      '%g%s' % (row.commands, ' *' if row.commands
                                > TARGET_COMMANDS else ''),
                      str(row.bare_commands), row.programs))
    _write_table(lines, (0, 1, 7), out)


def _write_table(lines, left, out):
    """*lines* (the first is the header) in columns; text columns (the
    indices in *left*) flush left, figures flush right."""
    widths = [max(len(line[i]) for line in lines)
              for i in range(len(lines[0]))]
    for number, line in enumerate(lines):
        out.write('  '.join(cell.ljust(width) if i in left
                            else cell.rjust(width)
                            for i, (cell, width) in enumerate(
                                zip(line, widths, strict=True))).rstrip()
                  + '\n')
        if number == 0:
            out.write('  '.join('-' * width for width in widths) + '\n')


LAUNCH_PROGRAMS = (('true',), ('qemu-img', '--version'))


def _launchers():
    """How to start one command: name -> function of argv.  The first
    is the baseline the others are divided by."""
    run = executor_module.Executor()
    return {
        'subprocess.run': lambda argv: subprocess.run(
            argv, stdin=subprocess.DEVNULL, capture_output=True, env=_ENV,
            check=True),
        'Executor': lambda argv: run(*argv),
        # what Executor ran every command through before: its preexec_fn
        # makes CPython fork() where the others vfork()
        'processutils': lambda argv: processutils.execute(
            *argv, env_variables=_ENV),
    }


def measure_launch(repeat, warmup=2):
    """Median ms per launcher and program, the launchers interleaved."""
    launchers = _launchers()
    rows = []
    for argv in LAUNCH_PROGRAMS:
        if not shutil.which(argv[0]):
            continue
        times = {name: [] for name in launchers}
        for i in range(warmup + repeat):
            for name, launch in launchers.items():
                start = time.perf_counter()
                launch(argv)
                if i >= warmup:
                    times[name].append(
                        (time.perf_counter() - start) * 1000)
        base = statistics.median(next(iter(times.values())))
        for name, values in times.items():
            median = statistics.median(values)
            rows.append({'program': ' '.join(argv), 'launcher': name,
                         'ms': median, 'ratio': median / base})
    return rows


def _resident_mib():
    """Peak resident size of this process (Linux: ru_maxrss is KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def print_launch(rows, repeat, out=sys.stdout):
    out.write('\nlaunching one command: median of %d, this process %d MiB '
              'resident; ratio to subprocess.run\n\n'
              % (repeat, _resident_mib()))
    lines = [('program', 'launcher', 'ms', 'ratio')]
    lines += [(row['program'], row['launcher'], '%.2f' % row['ms'],
               '%.2f' % row['ratio']) for row in rows]
    _write_table(lines, (0, 1), out)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        epilog='Timings are printed, never asserted.')
    parser.add_argument('--repeat', type=int, default=30,
                        help='timed rounds per driver (default 30)')
    parser.add_argument('--size', default='64M',
                        help='volume size; extend doubles it (default 64M)')
    parser.add_argument('--driver', action='append', choices=DRIVERS,
                        help='measure only this driver; repeatable')
    parser.add_argument('--json', action='store_true',
                        help='print the rows as JSON instead of a table')
    parser.add_argument('--heap', default='0',
                        help='grow this process by this much memory '
                        'before measuring, as a large service would be '
                        '(e.g. 400M; default 0)')
    parser.add_argument('--no-launch', dest='launch', action='store_false',
                        help='skip the launch-cost table')
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error('--repeat must be at least 1')
    try:
        # whole MiB: a multiple of every driver's step (LVM extents: 4 MiB
        # by default, so prefer multiples of 4M for lvm)
        args.size = units.validate(units.parse(args.size, '--size'),
                                   '--size', step=units.Mi)
        args.heap = units.parse(args.heap, '--heap')
    except exception.InvalidSize as err:
        parser.error(str(err))
    return args


def grow_heap(size):
    """Small objects worth *size* bytes, each page touched: what fork()
    copies page tables for in a service that has been running a while."""
    return [bytearray(1024) for _ in range(size // 1024)]


def main(argv=None):
    args = parse_args(argv)
    heap = grow_heap(args.heap)  # noqa: F841  (kept alive until the end)
    rows, skipped = [], []
    with tempfile.TemporaryDirectory(prefix='brick-bench-') as workdir:
        for name in args.driver or DRIVERS:
            pool = (file_pool(name, workdir)
                    if name in ('raw', 'qcow2', 'vdi')
                    else lvm_pool(name, workdir, args.size))
            try:
                with pool as (driver, bare):
                    rows += measure(name, driver, bare, args.repeat,
                                    args.size)
                    bare_note = (name, bare.description)
            except Skip as err:
                skipped.append((name, str(err)))
                continue
            if not args.json:
                sys.stderr.write('measured %s (bare: %s)\n' % bare_note)
    launch = measure_launch(args.repeat) if args.launch else []
    if args.json:
        json.dump({'repeat': args.repeat, 'size': args.size,
                   'resident_mib': _resident_mib(),
                   'rows': [dict(dataclasses.asdict(row), ratio=row.ratio)
                            for row in rows],
                   'launch': launch,
                   'skipped': dict(skipped)}, sys.stdout, indent=2)
        sys.stdout.write('\n')
        return 0
    print('\nbrick drivers vs bare tools: median of %d rounds, %s volumes, '
          'extend to %s\n' % (args.repeat, units.human(args.size),
                              units.human(2 * args.size)))
    print_table(rows)
    print('\n* misses a target: at most %d external command per '
          'operation, ratio at most %.1f.' % (TARGET_COMMANDS, TARGET_RATIO))
    for name, reason in skipped:
        print('skipped %s: %s' % (name, reason))
    if launch:
        print_launch(launch, args.repeat)
    return 0


if __name__ == '__main__':
    sys.exit(main())
