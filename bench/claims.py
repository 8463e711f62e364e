# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Claims per second on SQLite, PostgreSQL and MariaDB.

``python -m bench claims [-- --seconds 5 --backends sqlite,postgresql]``

For each backend (throwaway servers from
``tests/functional/db/servers.py``, or the URLs in
``BRICK_TEST_POSTGRESQL_URL`` / ``BRICK_TEST_MYSQL_URL``) and 1, 4 and 8
worker processes, each with its own engine.  PostgreSQL runs four
times on the same server: ``postgresql`` (brick: the one-volume claim
as a call of its PL/pgSQL function, planned once per server
connection), ``pgbouncer`` (the same through a throwaway pgbouncer in
transaction mode, from ``tests/functional/daemons.py``), and two ways
to send the same statement that brick does not use, for comparison:
``pg-statement`` (planned at every claim) and ``pg-prepared`` (a
server-side prepared statement, PREPAREd once per connection: what
brick did before; it fails behind pgbouncer in transaction mode):

* **spread**: workers claim 1 MiB on a random one of 100 large pools (a
  fleet, over which a scheduler spreads its claims) for ``--seconds``;
  reported as successful claims per second, the share of attempts that
  met a deadlock or lock timeout and were retried, and the CPU time per
  claim of the workers plus the server (``cpu us``: the figure that
  other load on the machine disturbs least);
* **hot**: workers claim 10 MiB on ONE pool of 1,000 x 10 MiB (the case
  OpenStack Placement over-commits) until it is full; reported as claims
  per second, and the over-commit: ``used - capacity`` of every pool at
  the end, which must be 0 bytes (``none``), with ``used`` equal to the
  sum of the reservation rows and exactly 1,000 successful hot claims.

Server settings are the test ones: durability off (PostgreSQL
``fsync=off``, plus ``synchronous_commit=off`` here; MariaDB
``innodb_flush_log_at_trx_commit=0``), so the figures measure brick and
the database engine, not the disk.  SQLite runs as shipped (WAL,
``synchronous=NORMAL``).  The machine is shared by workers and server.
"""

import argparse
import functools
import multiprocessing
import os
import random
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from brick import exception  # noqa: E402
from brick.db import engine  # noqa: E402
from brick.db import migration  # noqa: E402
from brick.inventory import allocations  # noqa: E402
from brick.inventory import claims  # noqa: E402
from brick.inventory import hosts  # noqa: E402
from brick.inventory import pools  # noqa: E402
from brick.inventory import reservations  # noqa: E402
from brick.inventory import topology  # noqa: E402
from tests.functional import daemons  # noqa: E402
from tests.functional.db import servers  # noqa: E402

FORK = multiprocessing.get_context('fork')
MIB = 1 << 20
SPREAD_POOLS = 100
HOT_CLAIMS = 1000
SETTINGS = {'postgresql': {'synchronous_commit': 'off'}, 'mysql': {}}


def _statement(conn, plan, row):
    """The claim's statement sent as it is (planned every time)."""
    ((pool_id, params),) = plan
    if conn.execute(claims.TAKE_AND_INSERT,
                    claims.insert_values(params, row)).rowcount != 1:
        raise claims.Full(pool_id)


_PREPARED = 'bench_claim_1'


@functools.cache
def _compiled():
    from sqlalchemy.dialects import postgresql

    compiled = claims.TAKE_AND_INSERT.compile(
        dialect=postgresql.dialect(paramstyle='numeric_dollar'))
    order = list(compiled.positiontup)
    return ('PREPARE %s AS %s' % (_PREPARED,
                                  str(compiled).replace('%%', '%')),
            'EXECUTE %s (%s)' % (_PREPARED, ', '.join(['%s'] * len(order))),
            order, dict(compiled.params))


def _prepared(conn, plan, row):
    """The claim's statement as a prepared statement, PREPAREd once per
    connection (brick before its PL/pgSQL function)."""
    ((pool_id, params),) = plan
    prepare, execute, order, fixed = _compiled()
    raw = conn.connection.dbapi_connection
    if conn.connection.info.get(_PREPARED) is not raw:
        with raw.cursor() as cursor:
            cursor.execute(prepare)
        conn.connection.info[_PREPARED] = raw
    values = dict(fixed, **claims.insert_values(params, row))
    if conn.exec_driver_sql(execute, tuple(values[name] for name in order)
                            ).rowcount != 1:
        raise claims.Full(pool_id)


def _worker(url, mode, pool_ids, seconds, barrier, results, way):
    if way == 'pg-statement':
        claims.take_and_insert = _statement
    elif way == 'pg-prepared':
        claims.take_and_insert = _prepared
    db = engine.Database(url, pool_size=1, max_overflow=0, claim_retries=50,
                         claim_retry_interval=0.002, lock_timeout=30)
    stats = engine.RetryStats()
    rng = random.Random()
    done = 0
    try:
        barrier.wait(60)
        start = time.monotonic()
        deadline = start + seconds
        while True:
            if mode == 'spread':
                if time.monotonic() >= deadline:
                    break
                items = [(rng.choice(pool_ids), MIB)]
            else:
                items = [(pool_ids[0], 10 * MIB)]
            try:
                reservations.claim(db, 'bench', items, stats=stats)
            except exception.InsufficientCapacity:
                if mode == 'hot':
                    break
                continue
            done += 1
        results.put((done, stats.attempts, stats.conflicts, start,
                     time.monotonic(), time.process_time(), None))
    except Exception as err:  # report it; the table shows the failure
        results.put((0, 0, 0, 0, 0, 0, repr(err)))
    finally:
        db.dispose()


def _cpu_seconds(pid):
    """CPU time of process *pid* and its children, living or reaped
    (Linux /proc); 0 when unknown."""
    if pid is None:
        return 0.0
    total = 0.0
    tick = os.sysconf('SC_CLK_TCK')
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % name) as stat:
                fields = stat.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        if int(name) == pid or int(fields[1]) == pid:
            total += sum(int(value) for value in fields[11:15]) / tick
    return total


def _phase(url, mode, pool_ids, workers, seconds, server_pid=None,
           way=None):
    server_cpu = _cpu_seconds(server_pid)
    barrier = FORK.Barrier(workers)
    results = FORK.Queue()
    procs = [FORK.Process(target=_worker, args=(
        url, mode, pool_ids, seconds, barrier, results, way))
        for _ in range(workers)]
    for proc in procs:
        proc.start()
    rows = [results.get(timeout=600) for _ in procs]
    for proc in procs:
        proc.join()
    server_cpu = _cpu_seconds(server_pid) - server_cpu
    errors = [row[6] for row in rows if row[6]]
    if errors:
        raise RuntimeError('worker failed: %s' % errors[0])
    claims = sum(row[0] for row in rows)
    attempts = sum(row[1] for row in rows)
    conflicts = sum(row[2] for row in rows)
    elapsed = max(row[4] for row in rows) - min(row[3] for row in rows)
    cpu = sum(row[5] for row in rows) + server_cpu
    return claims, attempts, conflicts, elapsed, cpu


def _fresh(url):
    """Empty the tables the previous run filled, then make the pools."""
    db = engine.Database(url)
    with db.begin() as conn:
        for table in ('allocations', 'reservations', 'pools', 'hosts',
                      'racks', 'zones'):
            conn.exec_driver_sql('DELETE FROM %s' % table)
    topology.create_zone(db, 'z')
    hosts.create_host(db, 'h', zone='z')
    spread = [pools.create_pool(db, 's%d' % i, 'raw', host='h',
                                total=1 << 50).id
              for i in range(SPREAD_POOLS)]
    hot = pools.create_pool(db, 'hot', 'raw', host='h',
                            total=HOT_CLAIMS * 10 * MIB).id
    return db, spread, hot


def _over_commit(db, hot_claims):
    problems = []
    for pool in pools.list_pools(db):
        if pool.used > pool.capacity:
            problems.append('%s +%d B' % (pool.name,
                                          pool.used - pool.capacity))
    if allocations.check(db):
        problems.append('used != rows')
    if hot_claims != HOT_CLAIMS:
        problems.append('%d hot claims' % hot_claims)
    return ', '.join(problems) or 'none'


def run_backend(backend, url, worker_counts, seconds, out, server_pid=None):
    migration.upgrade(url)
    for workers in worker_counts:
        db, spread, hot = _fresh(url)
        db.dispose()
        claims, attempts, conflicts, elapsed, cpu = _phase(
            url, 'spread', spread, workers, seconds, server_pid, backend)
        hot_claims, _, hot_conflicts, hot_elapsed, _ = _phase(
            url, 'hot', [hot], workers, seconds, way=backend)
        verdict = _over_commit(db, hot_claims)
        db.dispose()
        out.write('%-12s %7d %8d %10.0f %9.2f%% %8.0f %10.0f %9d %s\n' % (
            backend, workers, claims, claims / elapsed,
            100.0 * conflicts / max(attempts, 1), 1e6 * cpu / max(claims, 1),
            hot_claims / hot_elapsed, hot_conflicts, verdict))
        out.flush()


def main(argv=()):
    parser = argparse.ArgumentParser(prog='bench/claims.py',
                                     description=__doc__.split('\n')[0])
    parser.add_argument('--seconds', type=float, default=5.0,
                        help='length of each spread run (default 5)')
    parser.add_argument('--workers', default='1,4,8',
                        help='worker process counts (default 1,4,8)')
    parser.add_argument('--backends',
                        default='sqlite,postgresql,pgbouncer,pg-statement,'
                                'pg-prepared,mysql')
    args = parser.parse_args(list(argv))
    worker_counts = [int(n) for n in args.workers.split(',')]
    out = sys.stdout
    out.write('%-12s %7s %8s %10s %10s %8s %10s %9s %s\n' % (
        'backend', 'workers', 'claims', 'claims/s', 'retried', 'cpu us',
        'hot c/s', 'hot retr', 'over-commit'))
    chosen = args.backends.split(',')
    for backend in chosen:
        if backend == 'sqlite':
            with tempfile.TemporaryDirectory(prefix='brick-bench-') as tmp:
                run_backend(backend, 'sqlite:///%s/b.sqlite' % tmp,
                            worker_counts, args.seconds, out)
        elif backend == 'mysql':
            _on_server('mysql', ['mysql'], worker_counts, args.seconds, out)
    postgres = [name for name in chosen if name in POSTGRESQL]
    if postgres:
        _on_server('postgresql', postgres, worker_counts, args.seconds, out)
    return 0


POSTGRESQL = ('postgresql', 'pgbouncer', 'pg-statement', 'pg-prepared')


def _on_server(kind, rows, worker_counts, seconds, out):
    """Run the *rows* (backend names) on one throwaway *kind* server."""
    try:
        server = servers.create(kind, SETTINGS[kind])
    except servers.Unavailable as err:
        out.write('%-10s skipped: %s is not installed\n' % (kind, err.tool))
        return
    with server:
        pid = getattr(getattr(server, 'process', None), 'pid', None)
        for row in rows:
            name = 'brick_bench_%s' % uuid.uuid4().hex[:8]
            url = server.create_database(name)
            try:
                if row == 'pgbouncer':
                    try:
                        with daemons.start(daemons.PgBouncer, server,
                                           pool_mode='transaction') as pooler:
                            run_backend(row, pooler.database_url(name),
                                        worker_counts, seconds, out, pid)
                    except servers.Unavailable as err:
                        out.write('%-10s skipped: %s is not installed\n'
                                  % (row, err.tool))
                else:
                    run_backend(row, url, worker_counts, seconds, out, pid)
            finally:
                server.drop_database(name)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
