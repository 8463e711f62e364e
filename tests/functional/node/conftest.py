# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Nodes over a real RabbitMQ, liveness on real Redis, etcd and ZooKeeper
(one throwaway server of each per session, started only if a selected
test needs it), inventories on the three databases."""

import os
import subprocess
import sys
import time

import pytest
from oslo_config import cfg

import brick.conf
from brick.db import engine
from brick.db import migration
from brick.inventory import hosts
from brick.inventory import pools
from brick.inventory import topology
from tests import conftest as suite
from tests.functional import daemons
from tests.functional.db import servers
from tests.functional.db.conftest import database_url  # noqa: F401
from tests.functional.db.conftest import db  # noqa: F401
from tests.functional.db.conftest import mysql_server  # noqa: F401
from tests.functional.db.conftest import postgresql_server  # noqa: F401

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
"""The checkout, where node processes run from."""


def wait_for(predicate, seconds, what):
    """Return ``predicate()`` once it is true; fail after *seconds*."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError('%s: not within %s s' % (what, seconds))


def one_node_inventory(tmp_path):
    """A SQLite inventory with host node1 (zone zone1) and its pool raw;
    returns ``(db, pool)``."""
    inventory = engine.Database('sqlite:///%s' % (tmp_path / 'b.sqlite'))
    migration.upgrade(inventory)
    topology.create_zone(inventory, 'zone1')
    hosts.create_host(inventory, 'node1', zone='zone1')
    return inventory, pools.create_pool(inventory, 'raw', 'raw',
                                        host='node1')


def start_slow_node(node_conf, mode):
    """Start ``tests.functional.node.slow_node`` with *node_conf* in
    *mode* and wait until it serves; returns the child process."""
    child = subprocess.Popen(
        [sys.executable, '-m', 'tests.functional.node.slow_node',
         str(node_conf), mode], cwd=ROOT, stdout=subprocess.PIPE,
        text=True)
    try:
        assert child.stdout.readline().strip() == 'serving'
    except BaseException:
        child.kill()
        child.wait()
        raise
    return child


def serve(cls):
    """Start a *cls* daemon for the session, or skip (an error under
    BRICK_TEST_STRICT=1) if its program is missing."""
    try:
        daemon = cls()
    except servers.Unavailable as err:
        suite.require_tool(err.tool)
        raise
    return daemon.start()


@pytest.fixture(scope='session')
def rabbitmq():
    server = serve(daemons.RabbitMQ)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope='session')
def redis():
    server = serve(daemons.Redis)
    try:
        yield server
    finally:
        server.stop()


def make_conf(root, host='node1', transport_url=None,
              coordination=None, **node):
    """brick's options only, read from no file: what a service gets."""
    conf = cfg.ConfigOpts()
    brick.conf.register_opts(conf)
    conf([], project='brick-test', default_config_files=[])
    conf.set_override('data_dir', str(root), group='brick')
    conf.set_override('host', host, group='brick_node')
    conf.set_override('transport_url', transport_url, group='brick_node')
    conf.set_override('backend_url', coordination,
                      group='brick_coordination')
    for name, value in node.items():
        conf.set_override(name, value, group='brick_node')
    return conf
