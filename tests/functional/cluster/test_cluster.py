# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Many hosts, each a process: three brick-node services in two racks, a
monitor, four clients, PostgreSQL, RabbitMQ and Redis on loopback.

The two repros of the multi-host issue run first, on the healthy site;
then the clients place 200 volumes and boots at once while one node is
killed (SIGKILL) and another frozen (SIGSTOP) past the call timeout and
let go again.  Afterwards every placement committed or failed cleanly,
and the census (files on every node, allocations, reservations, orphans)
shows no difference once the monitor reconciled the reports.
"""

import collections
import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

import brick.conf
from brick import api as api_mod
from brick import exception
from brick import units
from brick.inventory import allocations
from brick.inventory import orphans
from brick.inventory import pools
from brick.inventory import reservations
from tests.functional.cluster import cluster as cluster_mod
from tests.functional.db.conftest import postgresql_server  # noqa: F401
from tests.functional.node.conftest import rabbitmq  # noqa: F401
from tests.functional.node.conftest import redis  # noqa: F401

CLIENTS = 4
PER_CLIENT = 50


@pytest.fixture(scope='module')
def site(postgresql_server, rabbitmq, redis, tmp_path_factory):  # noqa: F811
    name = 'brick_cluster_%s' % uuid.uuid4().hex[:8]
    url = postgresql_server.create_database(name)
    site = cluster_mod.Cluster(tmp_path_factory.mktemp('cluster'), url,
                               rabbitmq.url, redis.url)
    try:
        site.start()
        yield site
    finally:
        site.stop()
        postgresql_server.drop_database(name)
        site.remove()


def _api(site):
    return api_mod.API(brick.conf.load([site.control_conf('tester')]))


def test_a_volume_made_on_a_node_counts_against_its_pool(site):
    """Repro: on a 10 GiB pool, 'brick volume create --size 5G x', a
    report, then a 6 GiB placement must not fit."""
    pool = pools.list_pools(site.db, host='node1')[0]
    pools.update_pool(site.db, pool.id,
                      reserved=pool.total - 10 * units.Gi)
    node1 = site.node_conf('node1')
    try:
        site.brick(node1, 'volume', 'create', '--size', '5G', 'x')
        # brick-node sees it within [brick_node]report_interval and the
        # monitor adopts it.
        site.wait_for(lambda: allocations.list_allocations(
            site.db, consumer='node:node1'), 30, 'x adopted')
        held = site.brick(site.control_conf(), 'reservation', 'list',
                          '--consumer', 'node:node1', '-f', 'json').json
        assert [(r['volume'], r['state'], r['size']) for r in held] == [
            ('x', 'committed', 5 * units.Gi)]
        shown = site.brick(site.control_conf(), 'pool', 'show', str(pool.id),
                           '-f', 'json').json
        assert (shown['used'], shown['allocations']) == (5 * units.Gi, 1)
        api = _api(site)
        try:
            with pytest.raises(exception.NoValidHost) as caught:
                api.create_volume('big', size='6G', hosts=['node1'])
            assert 'capacity' in str(caught.value.explanation)
            placed = api.create_volume('fits', size='4G', hosts=['node1'])
            api.delete_volume(placed.consumer)
        finally:
            api.close()
        # Removed on the node, its allocation goes at the next report.
        site.brick(node1, 'volume', 'delete', 'x')
        site.wait_for(lambda: not allocations.list_allocations(
            site.db, consumer='node:node1'), 30, 'x freed')
    finally:
        pools.update_pool(site.db, pool.id, reserved=0)


def test_a_flow_resumed_on_another_host_deletes_its_volume(site):
    """Repro: place on node2 or node3, SIGKILL the process once the
    volume exists, 'brick flow resume' with another node's
    configuration: the volume must go with the rollback."""
    control = site.control_conf()
    crashed = subprocess.run(
        [sys.executable, '-m', 'tests.functional.cluster.crash', control,
         'resumed-vm', 'node2', 'node3'], cwd=cluster_mod.ROOT,
        capture_output=True, text=True, timeout=120, check=False)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    made = {host: names for host, names in site.files().items()
            if 'resumed-vm-disk1' in names}
    assert list(made) in (['node2'], ['node3'])
    assert allocations.list_allocations(site.db, consumer='resumed-vm') == []
    # "Another node's configuration": node1's, with the database added
    # (flow records live there), no boot handler: the flow rolls back.
    other = site.control_conf('node1-control')
    resumed = site.brick(other, 'flow', 'resume', '-f', 'json', check=False)
    assert resumed.returncode != 0  # the flow failed: rolled back
    assert [r['outcome'] for r in resumed.json] == ['rolled back']
    assert 'HandlerNotFound' in resumed.stdout or 'handler' in \
        resumed.stdout
    assert all('resumed-vm-disk1' not in names
               for names in site.files().values())
    assert reservations.list_reservations(site.db, consumer='resumed-vm',
                                          state='reserved') == []
    assert allocations.list_allocations(site.db, consumer='resumed-vm') == []


def _done(outputs):
    records = []
    for path in outputs:
        if os.path.exists(path):
            with open(path) as out:
                records += [json.loads(line) for line in out
                            if line.endswith('\n')]
    return records


def test_many_clients_while_nodes_die_and_freeze(site):
    control = site.control_conf()
    outputs = [site.path('client%d.jsonl' % i) for i in range(CLIENTS)]
    clients = [subprocess.Popen(
        [sys.executable, '-m', 'tests.functional.cluster.client', control,
         out, str(i), str(PER_CLIENT)], cwd=cluster_mod.ROOT,
        stdout=subprocess.DEVNULL, stderr=open(out + '.err', 'w'))
        for i, out in enumerate(outputs)]
    try:
        _run_with_faults(site, outputs, clients)
    finally:
        for client in clients:
            if client.poll() is None:
                client.kill()
            client.wait()
    for client, out in zip(clients, outputs, strict=True):
        with open(out + '.err') as err:
            assert client.returncode == 0, err.read()[-3000:]
    _census(site, _done(outputs))


def _run_with_faults(site, outputs, clients):
    total = CLIENTS * PER_CLIENT
    up = site.host_state('node1')  # (the inventory's word for up, None)
    assert up[0] != 'down' and up[1] is None
    site.wait_for(lambda: len(_done(outputs)) >= total // 5, 300,
                  'a fifth of the placements')
    site.kill('node2')  # kill -9, mid-run
    site.wait_for(lambda: len(_done(outputs)) >= total // 2, 300,
                  'half of the placements')
    site.signal('node3', signal.SIGSTOP)
    frozen = time.monotonic()
    try:
        # Down within heartbeat timeout + liveness interval (+ load), and
        # the scheduler says why.
        site.wait_for(lambda: site.host_state('node3')[0] == 'down', 30,
                      'node3 marked down')
        assert 'no heartbeat from brick-node' in site.host_state('node3')[1]
        api = _api(site)
        try:
            with pytest.raises(exception.NoValidHost) as caught:
                api.create_volume('probe', size=cluster_mod.SIZE,
                                  hosts=['node3'])
        finally:
            api.close()
        assert 'host not up: node3 is down (liveness: no heartbeat' in \
            caught.value.explanation.why('node3')
        time.sleep(max(0.0, cluster_mod.CALL_TIMEOUT + 1
                       - (time.monotonic() - frozen)))
    finally:
        site.signal('node3', signal.SIGCONT)
    site.wait_for(lambda: site.host_state('node3') == up, 60,
                  'node3 back up')
    deadline = time.monotonic() + 600
    while any(client.poll() is None for client in clients):
        assert time.monotonic() < deadline, 'clients still running'
        time.sleep(0.5)
    # The creates node2 never answered are orphans, until it is back.
    left = orphans.list_orphans(site.db)
    print('\norphans recorded while node2 was dead: %d' % len(left))
    # ... so a dead or frozen node was a failed host: CreateVolumesTask
    # moved on to the next reserved candidate (within the task, so no
    # FAILURE event unless every reserved candidate failed).
    assert left, 'no create went to the dead or the frozen node'
    # The killed node comes back: its report lets the monitor delete the
    # orphans of the placements it could not finish.
    site.start_node('node2')
    site.wait_for(lambda: site.host_state('node2') == up, 60,
                  'node2 back up')


def _census(site, records):
    # Every placement committed or failed cleanly (a brick error), once.
    assert len(records) == CLIENTS * PER_CLIENT
    assert len({r['consumer'] for r in records}) == len(records)
    outcomes = collections.Counter(r['outcome'] for r in records)
    assert set(outcomes) <= {'committed', 'failed'}
    assert outcomes['committed'] > 0
    assert {r['error'] for r in records if r['outcome'] == 'failed'} <= {
        'PlacementFailed', 'NoValidHost'}
    # Attempts whose every reserved candidate failed (retried from the
    # scheduler, without those hosts).
    retried = sum(r['create_failures'] for r in records)
    print('placements: %s; attempts rescheduled: %d' % (
        dict(outcomes), retried))

    last = {}

    def settled():
        found = site.brick(site.control_conf(), 'node', 'reconcile',
                           '--dry-run', '-f', 'json', check=False)
        last.update(code=found.returncode, differences=found.json,
                    orphans=orphans.list_orphans(site.db))
        return found.returncode == 0 and found.json == [] and \
            last['orphans'] == []
    try:
        site.wait_for(settled, 120, 'a census without differences')
    except AssertionError as err:
        raise AssertionError('last census: %r\n%s' % (last, err)) from None

    files = site.files()
    on_disk = {(host, name) for host, names in files.items()
               for name in names}
    names = [name for _host, name in on_disk]
    assert len(names) == len(set(names)), 'a volume made twice'
    held = allocations.list_allocations(site.db)
    keys = {pool.id: pool.owner for pool in pools.list_pools(site.db)}
    allocated = {(keys[a.pool_id], a.volume) for a in held}
    assert allocated == on_disk
    committed = {}
    for record in records:
        if record['outcome'] == 'committed':
            for host, _pool, name, path in record['volumes']:
                committed[name] = host
                assert os.path.isfile(path)
        else:
            assert allocations.list_allocations(
                site.db, consumer=record['consumer']) == []
    assert {(host, name) for name, host in committed.items()} == on_disk
    assert reservations.list_reservations(site.db, state='reserved') == []
    assert allocations.check(site.db) == []
    assert all(pool.unmanaged == 0 for pool in pools.list_pools(site.db))
    assert site.node_databases() == []  # nodes never touched a database
