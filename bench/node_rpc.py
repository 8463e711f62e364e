# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""What a node costs over RabbitMQ, against the same node in process.

::

    python -m bench node_rpc [-- --calls 300 --placements 100]

Starts a throwaway RabbitMQ (``tests/functional/daemons.py``) and three
``brick-node`` processes (raw pools of sparse files in a temporary
directory), then, in the same run:

* **round trip**: ``--calls`` calls of ``pools()`` (no disk work) and
  as many ``create_volume`` + ``delete_volume`` pairs of a 64 MiB sparse
  raw volume, through :class:`brick.node.remote.RemoteNode` and through
  an in-process :class:`brick.node.agent.NodeAgent` on a pool of its
  own, alternating (remote first in even rounds) so that neither gets
  the warmer cache;
* **placements**: ``--placements`` volume placements through
  :class:`brick.api.API` on each of two fresh SQLite inventories of
  three hosts, one with the three remote nodes and one with three
  in-process nodes (flows persisted, as by default), one placement of
  each in turn so that both run under the same load.

* **census**: what the monitor spends on one node report: a pool of
  ``--volumes`` volumes, every one explained by an allocation, reported
  and reconciled ``--calls`` times on SQLite (the per-report cost at
  10,000 nodes in the deployment guide comes from here); and the size
  of that report on the wire.

It prints medians and the remote/in-process ratio, and asserts nothing.
"""

import argparse
import os
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
from brick.inventory import census  # noqa: E402
from brick.inventory import declarative  # noqa: E402
from brick.inventory import file as inventory_file  # noqa: E402
from brick.node import agent  # noqa: E402
from brick.node import remote  # noqa: E402
from tests.functional import daemons  # noqa: E402

HOSTS = ('host1', 'host2', 'host3')
SIZE = 64 * units.Mi
WARMUP = 5
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SITE = ('zones: [{name: z1}]\nracks:\n  - {name: r1, zone: z1}\nhosts:\n'
        + ''.join('  - {name: %s, rack: r1}\n' % h for h in HOSTS)
        + 'pools:\n' + ''.join('  - {name: raw, driver: raw, host: %s}\n'
                               % h for h in HOSTS))


def make_conf(workdir, url=None, host='control'):
    conf = cfg.ConfigOpts()
    brick.conf.register_opts(conf)
    conf([], default_config_files=[])
    conf.set_override('data_dir', workdir, group='brick')
    conf.set_override('host', host, group='brick_node')
    conf.set_override('transport_url', url, group='brick_node')
    conf.set_override('call_timeout', 30, group='brick_node')
    return conf


def start_nodes(workdir, url):
    script = os.path.join(os.path.dirname(sys.executable), 'brick-node')
    program = [script] if os.path.exists(script) else [
        sys.executable, '-m', 'brick.cmd.cli']
    children = []
    for host in HOSTS:
        path = os.path.join(workdir, host + '.conf')
        with open(path, 'w') as conf:
            conf.write('[brick]\ndata_dir = %s\n[brick_node]\nhost = %s\n'
                       'pools = raw\ntransport_url = %s\n[pool:raw]\n'
                       'driver = raw\npath = %s\n' % (
                           os.path.join(workdir, host), host, url,
                           os.path.join(workdir, host, 'raw')))
        children.append(subprocess.Popen(
            program + ['--config-file', path] + (
                ['node', 'serve'] if program[0] == sys.executable else []),
            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL))
    return children


def wait_serving(nodes):
    deadline = time.monotonic() + 120
    for host in HOSTS:
        while True:
            try:
                nodes.get(host).pools()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)


def timed(call):
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def round_trips(remote_node, local_node, calls):
    found = {key: [] for key in ('pools remote', 'pools local',
                                 'create+delete remote',
                                 'create+delete local')}

    def create_delete(node, name):
        node.create_volume('raw', name, SIZE)
        node.delete_volume('raw', name)
    for i in range(WARMUP + calls):
        order = (('remote', remote_node), ('local', local_node))
        if i % 2:
            order = order[::-1]
        for where, node in order:
            pools = timed(node.pools)
            pair = timed(lambda n=node, i=i: create_delete(n, 'bench%d' % i))
            if i >= WARMUP:
                found['pools ' + where].append(pools)
                found['create+delete ' + where].append(pair)
    return found


def service_on(workdir, url, nodes):
    """An API on a fresh SQLite inventory of :data:`HOSTS`."""
    conf = make_conf(workdir, url)
    db = engine.Database.from_conf(conf)
    migration.upgrade(db)
    declarative.apply(db, inventory_file.parse(SITE, 'bench'))
    service = api.API(conf, nodes=nodes, db=db)
    service.setup()
    if url is not None:  # remote nodes report by themselves; here, once
        for host in HOSTS:
            census.apply(db, service.nodes.get(host).report())
    return service


def placements(services, count):
    """Place ``count`` volumes through each of *services*, one at a
    time in turn (the order alternating), so that both see the same
    load; returns ``{name: [seconds]}``."""
    walls = {name: [] for name in services}
    names = list(services)
    for i in range(WARMUP + count):
        for name in (names if i % 2 == 0 else names[::-1]):
            took = timed(lambda s=services[name], i=i: s.create_volume(
                'vol%05d' % i, size=SIZE))
            if i >= WARMUP:
                walls[name].append(took)
    return walls


def census_cost(workdir, volumes, calls, url=None):
    """``(median seconds per census, bytes of the report as JSON)`` on
    the database *url* (default: SQLite in *workdir*)."""
    import json

    from brick.inventory import pools as pools_mod
    from brick.inventory import reservations

    conf = make_conf(workdir)
    db = engine.Database(url) if url else engine.Database.from_conf(conf)
    migration.upgrade(db)
    declarative.apply(db, inventory_file.parse(SITE, 'bench'))
    node = agent.NodeAgent('host1', {'raw': drivers.load(
        'raw', pool='raw', path=os.path.join(workdir, 'census'))})
    census.apply(db, node.report())
    pool_id = pools_mod.list_pools(db, host='host1')[0].id
    for i in range(volumes):
        name = 'vm%05d-disk1' % i
        held = reservations.claim(db, 'vm%05d' % i, [(pool_id, SIZE, name)])
        node.create_volume('raw', name, SIZE)
        reservations.commit(db, ids=[r.id for r in held])
    took = []
    try:
        for _ in range(WARMUP + calls):
            report = node.report()
            took.append(timed(lambda r=report: census.apply(db, r)))
    finally:
        db.dispose()
    size = len(json.dumps(node.report().to_primitive()))
    return statistics.median(took[WARMUP:]), size


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--calls', type=int, default=300,
                        help='timed round trips of each kind (default 300)')
    parser.add_argument('--placements', type=int, default=100,
                        help='timed placements each way (default 100)')
    parser.add_argument('--volumes', type=int, default=100,
                        help='volumes in the census pool (default 100)')
    parser.add_argument('--postgresql', action='store_true',
                        help='also measure the census on a throwaway '
                             'PostgreSQL')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    with tempfile.TemporaryDirectory(prefix='brick-bench-') as workdir, \
            daemons.start(daemons.RabbitMQ) as broker:
        children = start_nodes(workdir, broker.url)
        nodes = remote.from_conf(make_conf(workdir, broker.url))
        try:
            wait_serving(nodes)
            local = agent.NodeAgent('local', {'raw': drivers.load(
                'raw', pool='raw', path=os.path.join(workdir, 'local'))})
            trips = round_trips(nodes.get('host1'), local, args.calls)
            services = {
                'remote': service_on(os.path.join(workdir, 'remote'),
                                     broker.url, ()),
                'in-proc': service_on(
                    os.path.join(workdir, 'inproc'), None,
                    [agent.NodeAgent(host, {'raw': drivers.load(
                        'raw', pool='raw', path=os.path.join(
                            workdir, 'inproc', host))}) for host in HOSTS])}
            try:
                walls = placements(services, args.placements)
            finally:
                for service in services.values():
                    service.close()
                    service.db.dispose()
            censuses = {'SQLite': census_cost(
                os.path.join(workdir, 'census'), args.volumes, args.calls)}
            if args.postgresql:
                from tests.functional.db import servers
                with servers.start('postgresql') as server:
                    censuses['PostgreSQL'] = census_cost(
                        os.path.join(workdir, 'census-pg'), args.volumes,
                        args.calls, server.create_database('brick_census'))
        finally:
            nodes.close()
            for child in children:
                child.terminate()
            for child in children:
                child.wait(30)
    print('\nnode calls, median of %d (RabbitMQ on loopback, brick-node '
          'in its own process)\n' % args.calls)
    print('%-16s %12s %12s %8s' % ('call', 'remote ms', 'in-proc ms',
                                   'ratio'))
    for call in ('pools', 'create+delete'):
        far = statistics.median(trips[call + ' remote']) * 1000
        near = statistics.median(trips[call + ' local']) * 1000
        print('%-16s %12.3f %12.3f %8.1f' % (call, far, near, far / near))
    print('\nplacements (create_volume of %s, SQLite, 3 hosts, flows '
          'persisted), %d each\n' % (units.human(SIZE), args.placements))
    print('%-10s %14s %12s' % ('nodes', 'placements/s', 'median ms'))
    rates = {}
    for name in ('remote', 'in-proc'):
        rates[name] = len(walls[name]) / sum(walls[name])
        print('%-10s %14.1f %12.2f' % (name, rates[name], statistics.median(
            walls[name]) * 1000))
    print('\nratio in-proc/remote placements/s: %.2f' % (
        rates['in-proc'] / rates['remote']))
    for name, (per_census, report_bytes) in censuses.items():
        print('\ncensus of one report of a pool of %d volumes (%s): '
              'median %.2f ms; the report is %d bytes of JSON (%d per '
              'volume)' % (args.volumes, name, per_census * 1000,
                           report_bytes,
                           report_bytes // max(args.volumes, 1)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
