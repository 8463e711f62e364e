# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Liveness on real Redis, etcd and ZooKeeper: a node process that joins,
is frozen (SIGSTOP) past the heartbeat timeout, comes back, and leaves;
the host's state follows, with the reason the scheduler shows."""

import signal
import subprocess
import sys

import pytest

from brick import exception
from brick.inventory import hosts
from brick.inventory import pools
from brick.inventory import topology
from brick.node import liveness
from tests.functional import daemons
from tests.functional.node import conftest as node_conftest

ROOT = node_conftest.ROOT
wait_for = node_conftest.wait_for
TIMEOUT = 2


@pytest.mark.parametrize('cls', [daemons.Redis, daemons.Etcd,
                                 daemons.ZooKeeper], ids=lambda c: c.name)
def test_a_frozen_node_goes_down_and_comes_back(cls, tmp_path):
    server = node_conftest.serve(cls)
    try:
        _frozen_and_back(server, tmp_path)
    finally:
        server.stop()


def _frozen_and_back(server, tmp_path):
    from brick.db import engine
    from brick.db import migration

    db = engine.Database('sqlite:///%s' % (tmp_path / 'b.sqlite'))
    migration.upgrade(db)
    topology.create_zone(db, 'zone1')
    for host in ('node1', 'node2', 'spare'):
        hosts.create_host(db, host, zone='zone1')
    for host in ('node1', 'node2'):
        pools.create_pool(db, 'raw', 'raw', host=host)
    hosts.set_host_state(db, 'node2', 'disabled', 'maintenance')
    up = hosts.get_host(db, 'spare').state  # the inventory's word for it
    assert up != 'down'
    conf = node_conftest.make_conf(tmp_path, coordination=server.url)
    conf.set_override('heartbeat_timeout', TIMEOUT,
                      group='brick_coordination')
    url = liveness.backend_url(conf)
    assert ('timeout=%d' % TIMEOUT) in url
    watcher = liveness.Watcher(url, 'brick-test')
    watcher.start()
    children = [subprocess.Popen(
        [sys.executable, '-m', 'tests.functional.node.member_child', url,
         'brick-test', host], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for host in ('node1', 'node2')]
    try:
        for child in children:
            assert child.stdout.readline().strip() == 'joined'
        node1 = children[0]
        wait_for(lambda: watcher.alive() == {'node1', 'node2'}, 10,
                 'both members seen')
        assert liveness.apply(db, watcher.alive(), TIMEOUT) == []
        assert hosts.get_host(db, 'node1').heartbeat_at is not None
        # Frozen past the timeout: the backend forgets it, the host goes
        # down with the reason; the disabled host and the host without a
        # node are left alone.
        node1.send_signal(signal.SIGSTOP)
        wait_for(lambda: 'node1' not in watcher.alive(), 4 * TIMEOUT + 10,
                 'the frozen member forgotten')
        assert liveness.apply(db, watcher.alive(), TIMEOUT) == [
            ('node1', 'down')]
        host = hosts.get_host(db, 'node1')
        assert host.state == 'down'
        assert host.state_reason == ('liveness: no heartbeat from brick-node'
                                     ' for more than 2 s (stopped, crashed '
                                     'or cut off)')
        assert hosts.get_host(db, 'node2').state == 'disabled'
        spare = hosts.get_host(db, 'spare')
        assert (spare.state, spare.state_reason) == (up, None)
        # Back: it joins again by itself, the host comes back up.
        node1.send_signal(signal.SIGCONT)
        wait_for(lambda: 'node1' in watcher.alive(), 4 * TIMEOUT + 10,
                 'the member back')
        assert liveness.apply(db, watcher.alive(), TIMEOUT) == [
            ('node1', 'up')]
        back = hosts.get_host(db, 'node1')
        assert (back.state, back.state_reason) == (up, None)
        # A clean stop leaves the group at once.
        node1.terminate()
        assert node1.wait(30) == 0
        wait_for(lambda: 'node1' not in watcher.alive(), 10, 'left')
        assert liveness.apply(db, watcher.alive(), TIMEOUT,
                              {'node1': '2026-01-01T00:00:00Z'}) == [
            ('node1', 'down')]
        assert hosts.get_host(db, 'node1').state_reason == \
            'liveness: brick-node stopped at 2026-01-01T00:00:00Z'
        # An operator's state is never changed back by liveness.
        hosts.set_host_state(db, 'node1', 'down', 'broken disk')
        assert liveness.apply(db, {'node1'}, TIMEOUT) == []
        assert hosts.get_host(db, 'node1').state == 'down'
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGCONT)
                child.kill()
            child.wait()
        watcher.stop()
        db.dispose()


def test_a_backend_that_is_down_is_named(tmp_path):
    from tests.functional.db import servers

    url = 'redis://:secret@127.0.0.1:%d' % servers.free_port()
    membership = liveness.Membership(url, 'brick-test', 'node1')
    with pytest.raises(exception.CoordinationUnavailable) as caught:
        membership.start()
    assert 'redis://:***@127.0.0.1' in str(caught.value)
    assert 'secret' not in str(caught.value)
    watcher = liveness.Watcher(url, 'brick-test')
    with pytest.raises(exception.CoordinationUnavailable):
        watcher.start()
        watcher.alive()
    watcher.stop()
