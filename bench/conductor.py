# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Placements through conductors on a jobboard, against the in-process
path, in one run; and how long a dead conductor's jobs wait.

::

    python -m bench conductor [-- --jobs 200 --clients 4 --board redis]

On a throwaway PostgreSQL (``--database sqlite`` for a file) and a
throwaway Redis (``--board zookeeper`` for ZooKeeper), a three-host site
with raw file pools (``lab`` nodes in the conductors):

* **jobs/s**: ``--clients`` processes boot ``--jobs`` instances in all
  (one 8 MiB raw volume each, a boot handler that does nothing), first
  each in its own process (the in-process path), then posted as jobs
  (``wait=False``, then ``API.result``) to one conductor, then to two;
  ``--workers`` threads per conductor.  Wall time from the first request
  to the last outcome.
* **resume after death**: two conductors, boots that take 1 s each; one
  conductor is killed (SIGKILL) while it runs jobs, and for each of its
  jobs the time from the kill until another conductor starts it again
  is reported, with the Redis claim expiry (``--claim-expiry``) or the
  ZooKeeper session timeout (``--zk-timeout``) the board was given.

It asserts nothing.  The machine is shared by clients, conductors and
servers: compare rows of one run.
"""

import argparse
import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import warnings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')

from oslo_config import cfg  # noqa: E402

import brick.conf  # noqa: E402
from brick import api  # noqa: E402
from brick import exception  # noqa: E402
from brick import units  # noqa: E402
from brick.db import engine  # noqa: E402
from brick.db import migration  # noqa: E402
from brick.inventory import census  # noqa: E402
from brick.inventory import declarative  # noqa: E402
from brick.inventory import file as inventory_file  # noqa: E402
from brick.workflow import nodes as nodes_mod  # noqa: E402
from tests.functional import daemons  # noqa: E402
from tests.functional.db import servers  # noqa: E402

FORK = multiprocessing.get_context('fork')
HOSTS = ('host1', 'host2', 'host3')
SIZE = 8 * units.Mi
SITE = ('zones: [{name: z1}]\nracks:\n  - {name: r1, zone: z1}\n'
        'hosts:\n' + ''.join('  - {name: %s, rack: r1}\n' % h for h in HOSTS)
        + 'pools:\n' + ''.join('  - {name: raw, driver: raw, host: %s}\n'
                               % h for h in HOSTS))


def make_conf(setup):
    conf = cfg.ConfigOpts()
    brick.conf.register_opts(conf)
    conf([], default_config_files=[])
    conf.set_override('data_dir', setup['root'], group='brick')
    conf.set_override('connection', setup['db'], group='brick_database')
    conf.set_override('refresh_interval', 0.2, group='brick_scheduler')
    if setup.get('board'):
        conf.set_override('jobboard_url', setup['board'],
                          group='brick_workflow')
    conf.set_override('nodes', 'lab', group='brick_conductor')
    conf.set_override('lab_hosts', list(HOSTS), group='brick_conductor')
    conf.set_override('lab_pools', ['raw'], group='brick_conductor')
    conf.set_override('workers', setup['workers'], group='brick_conductor')
    conf.set_override('claim_expiry', setup['claim_expiry'],
                      group='brick_conductor')
    conf.set_override('poll_interval', 0.05, group='brick_conductor')
    return conf


class Handler:
    """Boots nothing, in *seconds*; logs its starts to *log*."""

    def __init__(self, log=None, seconds=0.0):
        self.log = log
        self.seconds = seconds

    def __call__(self, instance, host, volumes):
        if self.log:
            fd = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            os.write(fd, ('%s %d %.6f\n' % (instance, os.getpid(),
                                            time.time())).encode())
            os.close(fd)
        time.sleep(self.seconds)
        return None


def conductor_main(setup):
    """A conductor process (``--conductor-child``)."""
    from brick.cmd import conductor

    conf = make_conf(setup)
    return conductor.serve(conf, handlers={'hv': Handler(
        setup.get('log'), setup.get('boot_seconds', 0.0))})


def _client(setup, prefix, count, mode, barrier, results):
    conf = make_conf(dict(setup, board=setup['board'] if mode == 'jobs'
                          else None))
    nodes = None
    if mode == 'local':
        nodes = nodes_mod.lab(conf)
    service = api.API(conf, nodes=nodes or ())
    service.handlers.register('hv', Handler())
    try:
        barrier.wait(120)
        start = time.time()
        if mode == 'local':
            for i in range(count):
                service.boot_instance('%s-%d' % (prefix, i), 'hv', size=SIZE,
                                      driver='raw')
        else:
            posted = [service.boot_instance('%s-%d' % (prefix, i), 'hv',
                                            size=SIZE, driver='raw',
                                            wait=False)
                      for i in range(count)]
            for one in posted:
                service.result(one.flow_id, timeout=600)
        results.put((start, time.time(), None))
    except Exception as err:  # report it: the table shows the failure
        results.put((0, 0, repr(err)))
    finally:
        service.close()


def _spawn_conductor(setup):
    return subprocess.Popen(
        [sys.executable, '-m', 'bench.conductor', '--conductor-child',
         json.dumps(setup)], cwd=os.path.dirname(os.path.dirname(
             os.path.abspath(__file__))), stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True)


def _stop(processes):
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _ready(setup, processes, timeout=120):
    """Wait until the conductors take jobs: one small job goes through."""
    conf = make_conf(setup)
    service = api.API(conf)
    try:
        deadline = time.monotonic() + timeout
        posted = service.create_volume('warm-%s' % uuid.uuid4().hex[:6],
                                       size=SIZE, driver='raw', wait=False)
        while True:
            for process in processes:
                if process.poll() is not None:
                    raise RuntimeError('a conductor ended: %s'
                                       % process.stderr.read()[-2000:])
            try:
                service.result(posted.flow_id, timeout=1)
                return
            except exception.PlacementPending:
                if time.monotonic() > deadline:
                    raise
    finally:
        service.close()


def throughput(setup, mode, conductors, jobs, clients):
    """Jobs per second of *clients* processes doing *jobs* in all."""
    running = [_spawn_conductor(setup) for _ in range(conductors)]
    try:
        if running:
            _ready(setup, running)
        barrier = FORK.Barrier(clients)
        results = FORK.Queue()
        prefix = uuid.uuid4().hex[:6]
        per = jobs // clients
        workers = [FORK.Process(target=_client, args=(
            setup, '%s%d' % (prefix, i), per, mode, barrier, results))
            for i in range(clients)]
        for worker in workers:
            worker.start()
        found = [results.get(timeout=1200) for _ in workers]
        for worker in workers:
            worker.join(60)
    finally:
        _stop(running)
    errors = [row[2] for row in found if row[2]]
    if errors:
        raise RuntimeError(errors[0])
    elapsed = max(row[1] for row in found) - min(row[0] for row in found)
    return per * clients / elapsed


def resume_delay(setup, jobs):
    """Seconds from a conductor's SIGKILL until each of its jobs started
    again elsewhere."""
    log = os.path.join(setup['root'], 'boots-%s.log' % uuid.uuid4().hex[:6])
    slow = dict(setup, log=log, boot_seconds=1.0)
    running = [_spawn_conductor(slow) for _ in range(2)]
    service = None
    try:
        _ready(slow, running)
        service = api.API(make_conf(slow))
        prefix = 'd' + uuid.uuid4().hex[:6]
        posted = [service.boot_instance('%s-%d' % (prefix, i), 'hv',
                                        size=SIZE, driver='raw', wait=False)
                  for i in range(jobs)]
        victim = running[0]
        deadline = time.monotonic() + 120
        while not _starts(log, victim.pid):
            if time.monotonic() > deadline:
                raise RuntimeError('the first conductor took no job')
            time.sleep(0.02)
        time.sleep(0.3)  # in the middle of its boots
        killed_at = time.time()
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        for one in posted:
            service.result(one.flow_id, timeout=600)
    finally:
        if service is not None:
            service.close()
        _stop(running)
    before = {name for name, pid, at in _starts(log) if at <= killed_at
              and pid == victim.pid}
    again = {}
    for name, pid, at in _starts(log):
        if name in before and pid != victim.pid and name not in again:
            again[name] = at - killed_at
    return sorted(again.values()), len(before)


def _starts(log, pid=None):
    if not os.path.exists(log):
        return []
    with open(log) as lines:
        found = [(name, int(p), float(at)) for name, p, at in
                 (line.split() for line in lines)]
    return [row for row in found if pid is None or row[1] == pid]


def _site(url, root):
    db = engine.Database(url)
    migration.upgrade(db)
    declarative.apply(db, inventory_file.parse(SITE, 'bench'))
    conf = make_conf({'root': root, 'db': url, 'workers': 1,
                      'claim_expiry': 30})
    for node in nodes_mod.lab(conf):
        node.setup()
        census.apply(db, node.report())
    db.dispose()


def run(args, url, board, out):
    with tempfile.TemporaryDirectory(prefix='brick-bench-') as root:
        _site(url, root)
        setup = {'root': root, 'db': url, 'board': board,
                 'workers': args.workers, 'claim_expiry': args.claim_expiry}
        out.write('%-28s %10s\n' % ('path', 'jobs/s'))
        for label, mode, conductors in (
                ('in-process', 'local', 0),
                ('1 conductor', 'jobs', 1),
                ('2 conductors', 'jobs', 2),
                ('in-process (again)', 'local', 0)):
            rate = throughput(setup, mode, conductors, args.jobs,
                              args.clients)
            out.write('%-28s %10.1f\n' % (label, rate))
            out.flush()
        delays, taken = resume_delay(setup, args.death_jobs)
        out.write('\nkilled a conductor running %d job(s): resumed '
                  'elsewhere after %s s (min / median / max)\n' % (
                      taken, ' / '.join('%.2f' % v for v in (
                          min(delays), statistics.median(delays),
                          max(delays))) if delays else 'n/a'))


def main(argv=()):
    parser = argparse.ArgumentParser(prog='bench/conductor.py',
                                     description=__doc__.split('\n')[0])
    parser.add_argument('--jobs', type=int, default=200)
    parser.add_argument('--clients', type=int, default=4)
    parser.add_argument('--workers', type=int, default=4,
                        help='[brick_conductor]workers (default 4)')
    parser.add_argument('--board', choices=('redis', 'zookeeper'),
                        default='redis')
    parser.add_argument('--database', choices=('postgresql', 'sqlite'),
                        default='postgresql')
    parser.add_argument('--claim-expiry', type=float, default=10.0,
                        help='Redis claim expiry, seconds (default 10)')
    parser.add_argument('--zk-timeout', type=float, default=10.0,
                        help='ZooKeeper session timeout (default 10)')
    parser.add_argument('--death-jobs', type=int, default=16)
    parser.add_argument('--conductor-child', help=argparse.SUPPRESS)
    args = parser.parse_args(list(argv))
    if args.conductor_child:
        return conductor_main(json.loads(args.conductor_child))
    out = sys.stdout
    cls = daemons.Redis if args.board == 'redis' else daemons.ZooKeeper
    try:
        board_server = daemons.start(cls)
    except servers.Unavailable as err:
        out.write('skipped: %s is not installed\n' % err.tool)
        return 0
    with board_server as board:
        url = board.url + ('?namespace=bench' if args.board == 'redis'
                           else '/bench?timeout=%g' % args.zk_timeout)
        out.write('%s jobboard, %s, %d clients, %d jobs per row, %d '
                  'worker(s) per conductor\n\n' % (
                      args.board, args.database, args.clients, args.jobs,
                      args.workers))
        if args.database == 'sqlite':
            with tempfile.TemporaryDirectory(prefix='brick-bench-') as tmp:
                run(args, 'sqlite:///%s/b.sqlite' % tmp, url, out)
            return 0
        try:
            server = servers.create('postgresql',
                                    {'synchronous_commit': 'off'})
        except servers.Unavailable as err:
            out.write('skipped: %s is not installed\n' % err.tool)
            return 0
        with server:
            name = 'brick_bench_%s' % uuid.uuid4().hex[:8]
            db_url = server.create_database(name)
            try:
                run(args, db_url, url, out)
            finally:
                server.drop_database(name)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
