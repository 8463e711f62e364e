# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The throwaway servers of :mod:`tests.functional.daemons` start, answer
real clients (tooz, oslo.messaging's transport, SQLAlchemy through
pgbouncer) and leave nothing running."""

import os
import uuid

import pytest
import sqlalchemy as sa

from tests.functional import daemons
from tests.functional.db import servers


def _started(cls, *args):
    try:
        return daemons.start(cls, *args)
    except servers.Unavailable as err:
        pytest.skip('needs %s (tools/setup-host installs it)' % err.tool)


@pytest.mark.parametrize('cls', [daemons.Redis, daemons.Etcd,
                                 daemons.ZooKeeper], ids=lambda c: c.name)
def test_tooz_group_membership(cls):
    from tooz import coordination

    with _started(cls) as server:
        member = uuid.uuid4().hex.encode()
        coordinator = coordination.get_coordinator(server.url, member)
        coordinator.start(start_heart=False)
        try:
            coordinator.create_group(b'brick-test').get()
            coordinator.join_group(b'brick-test').get()
            assert member in coordinator.get_members(b'brick-test').get()
        finally:
            coordinator.stop()
        pid = server.process.pid
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_rabbitmq_carries_a_message():
    import kombu  # oslo.messaging's rabbit driver is built on it

    with _started(daemons.RabbitMQ) as server:
        url = server.url.replace('rabbit://', 'amqp://')
        with kombu.Connection(url, connect_timeout=10) as conn:
            queue = conn.SimpleQueue('brick-test')
            queue.put({'hello': 'brick'})
            assert queue.get(timeout=10).payload == {'hello': 'brick'}
            queue.close()
        basedir = server.basedir
    assert not os.path.exists(basedir)


def test_pgbouncer_forwards_to_postgresql():
    try:
        database = servers.create('postgresql')
    except servers.Unavailable as err:
        pytest.skip('needs %s (tools/setup-host installs it)' % err.tool)
    with database:
        url = database.create_database('brick_bouncer')
        with _started(daemons.PgBouncer, database) as bouncer:
            engine = sa.create_engine(bouncer.database_url('brick_bouncer'),
                                      poolclass=sa.pool.NullPool)
            try:
                with engine.connect() as conn:
                    assert conn.scalar(sa.text('SELECT 1')) == 1
            finally:
                engine.dispose()
        assert url.endswith('/brick_bouncer')
