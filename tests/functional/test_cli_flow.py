# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``brick flow resume`` after a process was killed (SIGKILL) between
creating an instance's volumes and booting it, on a real SQLite file and
a real raw pool.  The command has no boot handler, so the flow rolls
back: its volumes are deleted and its reservations released."""

import json
import os
import signal
import subprocess
import sys

from tests.unit.cmd import run

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

CONF = """\
[brick]
data_dir = {tmp}/data

[brick_node]
host = h1
pools = raw

[pool:raw]
driver = raw
path = {tmp}/pool
"""

INVENTORY = """\
zones: [{name: z1}]
racks: [{name: r1, zone: z1}]
hosts: [{name: h1, rack: r1}]
pools: [{name: raw, driver: raw, host: h1}]
"""

# Boots vm1 with a handler that kills its own process once the volumes
# exist (tests/functional/workflow/fakes.py).
CHILD = """\
import sys
from brick import api, units
import brick.conf
from brick.node import agent
from tests.functional.workflow import fakes

conf = brick.conf.load([sys.argv[1]])
service = api.API(conf, nodes=[agent.NodeAgent.from_conf(conf)])
service.handlers.register('hv', fakes.Crash())
service.setup()
service.boot_instance('vm1', 'hv', size=8 * units.Mi, count=2,
                      driver='raw')
"""


def test_resume_rolls_back_a_boot_without_its_handler(capsys, tmp_path,
                                                      monkeypatch):
    monkeypatch.setenv('HOME', str(tmp_path))
    conf = tmp_path / 'brick.conf'
    conf.write_text(CONF.format(tmp=tmp_path))
    inventory = tmp_path / 'inventory.yaml'
    inventory.write_text(INVENTORY)

    def brick(*argv):
        return run(capsys, '--config-file', str(conf), *argv)

    assert brick('inventory', 'apply', '-f', str(inventory)).code == 0
    assert brick('flow', 'resume', '-f', 'json').json() == []
    child = subprocess.run([sys.executable, '-c', CHILD, str(conf)],
                           cwd=ROOT, capture_output=True, text=True,
                           timeout=120, check=False)
    assert child.returncode == -signal.SIGKILL, child.stderr
    pool = tmp_path / 'pool'
    assert sorted(os.listdir(pool)) != []
    live = brick('reservation', 'list', '--state', 'reserved', '-f',
                 'json').json()
    assert {r['consumer'] for r in live} == {'vm1'}

    done = brick('flow', 'resume', '-f', 'json')
    assert done.code == 3
    (row,) = json.loads(done.stdout)
    assert (row['outcome'], row['volumes']) == ('rolled back', [])
    assert "No boot handler named 'hv'" in row['error']
    assert "brick: No boot handler named 'hv'" in done.stderr
    assert [name for name in os.listdir(pool)
            if not name.startswith('.')] == []
    assert brick('reservation', 'list', '--state', 'reserved', '-f',
                 'json').json() == []
    # Nothing left to resume; the finished flow is unknown now.
    assert brick('flow', 'resume', '-f', 'json').json() == []
    again = brick('flow', 'resume', row['flow_id'])
    assert again.code == 3 and 'not found' in again.stderr
