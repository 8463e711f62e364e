# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Finding the node of a shared pool through the inventory, on SQLite."""

import pytest

from brick import exception
from brick.db import engine
from brick.db import migration
from brick.drivers import raw
from brick.inventory import hosts
from brick.inventory import pools
from brick.inventory import topology
from brick.local import executor
from brick.node import agent
from brick.node import directory
from brick.workflow import volumes


class Remote:
    """Stands for :class:`~brick.node.remote.RemoteNodes`: the node of
    each host, as its ``brick-node`` would answer."""

    def __init__(self, found):
        self.found = found

    def get(self, host):
        return self.found[host]


@pytest.fixture
def db(tmp_path):
    found = engine.Database('sqlite:///%s' % (tmp_path / 'b.sqlite'))
    migration.upgrade(found)
    yield found
    found.dispose()


def test_a_shared_pools_node_is_an_enabled_host_of_its_rack(db, tmp_path):
    topology.create_zone(db, 'z1')
    topology.create_rack(db, 'r1', 'z1')
    hosts.create_host(db, 'h1', rack='r1', state='disabled')
    hosts.create_host(db, 'h2', rack='r1')
    pool = pools.create_pool(db, 'nfs', 'raw', rack='r1')
    nodes = {name: agent.NodeAgent(name, {'nfs': raw.RawDriver(
        executor.Executor(), 'nfs', str(tmp_path / 'nfs'))})
        for name in ('h1', 'h2')}
    found = volumes.node_of(directory.Directory(remote=Remote(nodes)),
                            pool, db)
    assert found is nodes['h2']
    hosts.set_host_state(db, 'h2', 'disabled')
    with pytest.raises(exception.NotFound) as caught:
        volumes.node_of(directory.Directory(remote=Remote(nodes)), pool, db)
    assert 'a node serving shared pool rack:r1/nfs' in str(caught.value)
