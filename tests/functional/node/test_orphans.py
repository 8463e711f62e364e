# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Orphans on a quiet pool: a node reports only the pools that changed,
so an orphan recorded after its pool's last report would wait for the
next full report (an hour by default).  The monitor asks the node for a
report once the orphan's grace is over."""

import os
import signal

import brick.conf
from brick import units
from brick.inventory import orphans
from brick.inventory import pools
from brick.node import monitor as monitor_mod
from brick.node import remote as remote_mod
from tests.functional.node.conftest import one_node_inventory
from tests.functional.node.conftest import start_slow_node
from tests.functional.node.conftest import wait_for


def test_overdue_orphans_of_a_quiet_pool_are_settled(rabbitmq, tmp_path):
    node_conf = tmp_path / 'node1.conf'
    node_conf.write_text(
        '[brick]\ndata_dir = %s\n[brick_node]\nhost = node1\npools = raw\n'
        'transport_url = %s\nreport_interval = 1\n' % (
            tmp_path / 'node1', rabbitmq.url))
    control = tmp_path / 'control.conf'
    control.write_text(
        '[brick]\ndata_dir = %s\n[brick_node]\nhost = control\n'
        'transport_url = %s\ncall_timeout = 5\n[brick_monitor]\n'
        'orphan_grace = 2\nliveness_interval = 1\n' % (
            tmp_path / 'control', rabbitmq.url))
    conf = brick.conf.load([str(control)])
    db, pool = one_node_inventory(tmp_path)
    monitor = monitor_mod.Monitor(conf, db).start()
    nodes = remote_mod.from_conf(conf)
    pool_dir = tmp_path / 'node1' / 'pools' / 'raw'
    child = start_slow_node(node_conf, 'normal')
    try:
        wait_for(lambda: pools.list_pools(db)[0].reported_at is not None,
                 30, 'the first report')
        # A create refused late (never made) and one made after its
        # placement gave it up; the second's report comes within the
        # grace, so that census leaves it alone.
        orphans.record(db, pool.id, 'ghost', 'test: never made')
        orphans.record(db, pool.id, 'late', 'test: made after the rollback')
        nodes.get('node1').create_volume('raw', 'late', 64 * units.Mi)
        assert (pool_dir / 'late').exists()
        wait_for(lambda: orphans.list_orphans(db) == [], 30,
                 'the overdue orphans settled')
        assert not (pool_dir / 'late').exists()
        assert os.listdir(pool_dir) == [] or all(
            name.startswith('.') for name in os.listdir(pool_dir))
        assert pools.list_pools(db)[0].unmanaged == 0
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            child.wait(30)
        nodes.close()
        monitor.stop()
        db.dispose()
