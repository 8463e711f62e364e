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

import pytest
from oslo_config import cfg

import brick.conf
from tests import conftest as suite
from tests.functional import daemons
from tests.functional.db import servers
from tests.functional.db.conftest import database_url  # noqa: F401
from tests.functional.db.conftest import db  # noqa: F401
from tests.functional.db.conftest import mysql_server  # noqa: F401
from tests.functional.db.conftest import postgresql_server  # noqa: F401


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
