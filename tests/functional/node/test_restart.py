# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""A node process killed mid-create and started again: the placement
fails cleanly, the half-made volume is an orphan, and once the node is
back its report gets it deleted; nothing leaks."""

import signal
import threading

import brick.conf
from brick import api as api_mod
from brick import exception
from brick import units
from brick.inventory import allocations
from brick.inventory import orphans
from brick.inventory import pools
from brick.inventory import reservations
from brick.node import monitor as monitor_mod
from tests.functional.node.conftest import one_node_inventory
from tests.functional.node.conftest import start_slow_node
from tests.functional.node.conftest import wait_for


def test_a_node_restarted_mid_create_leaks_nothing(rabbitmq, tmp_path):
    node_conf = tmp_path / 'node1.conf'
    node_conf.write_text(
        '[brick]\ndata_dir = %s\n[brick_node]\nhost = node1\npools = raw\n'
        'transport_url = %s\nreport_interval = 1\n[pool:raw]\n'
        'driver = raw\npath = %s\n' % (tmp_path / 'node1', rabbitmq.url,
                                       tmp_path / 'node1' / 'pools' / 'raw'))
    control = tmp_path / 'control.conf'
    control.write_text(
        '[brick]\ndata_dir = %s\n[brick_node]\nhost = control\n'
        'transport_url = %s\ncall_timeout = 2\n[brick_monitor]\n'
        'orphan_grace = 0\n[brick_workflow]\nattempts = 1\n'
        '[brick_scheduler]\nrefresh_interval = 0\n' % (
            tmp_path / 'control', rabbitmq.url))
    conf = brick.conf.load([str(control)])
    db, _ = one_node_inventory(tmp_path)
    monitor = monitor_mod.Monitor(conf, db).start()
    api = api_mod.API(conf, db=db)
    api.setup()
    pool_dir = tmp_path / 'node1' / 'pools' / 'raw'

    child = start_slow_node(node_conf, 'slow')
    try:
        wait_for(lambda: pools.list_pools(db)[0].total > 0, 30,
                 'the first report')
        outcome = {}

        def place():
            try:
                api.create_volume('vol1', size=64 * units.Mi)
            except exception.BrickException as err:
                outcome['error'] = err
        placing = threading.Thread(target=place)
        placing.start()
        wait_for(lambda: (pool_dir / 'vol1').exists(), 30, 'vol1 begun')
        child.kill()  # mid-create
        child.wait()
        placing.join(60)
        assert isinstance(outcome.get('error'), exception.PlacementFailed)
        assert 'did not answer create_volume' in str(outcome['error'])
        assert [o.volume for o in orphans.list_orphans(db)] == ['vol1']
        assert (pool_dir / 'vol1').exists()  # half-made, left behind
        child = start_slow_node(node_conf, 'normal')
        # Back: its first report lets the monitor have it delete vol1.
        wait_for(lambda: not (pool_dir / 'vol1').exists(), 30,
                 'the orphan deleted')
        wait_for(lambda: orphans.list_orphans(db) == [], 30,
                 'the record dropped')
        assert allocations.list_allocations(db) == []
        assert reservations.list_reservations(db, state='reserved') == []
        assert pools.list_pools(db)[0].unmanaged == 0
        placed = api.create_volume('vol2', size=64 * units.Mi)
        assert placed.host == 'node1'
        assert (pool_dir / 'vol2').exists()
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            child.wait(30)
        api.close()
        monitor.stop()
        db.dispose()
    assert monitor.censuses >= 2
