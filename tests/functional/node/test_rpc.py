# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""A node served over a real RabbitMQ: the same answers as in process,
brick errors that cross the wire intact, versions, timeouts and a broker
that is not there."""

import contextlib
import os
import threading
import time

import pytest
from oslo_config import cfg

from brick import drivers
from brick import exception
from brick import units
from brick.drivers import raw
from brick.local import executor as executor_mod
from brick.node import agent as agent_mod
from brick.node import manager
from brick.node import messaging
from brick.node import remote
from brick.node import report as report_mod
from brick.node import service as service_mod
from tests.functional.db import servers
from tests.functional.node import conftest as node_conftest


def agent_of(root, host='node1', replace=None):
    found = {pool: drivers.load(pool, pool=pool, path=str(root / host / pool))
             for pool in ('raw', 'qcow2')}
    found.update(replace or {})
    return agent_mod.NodeAgent(host, found)


@contextlib.contextmanager
def serving(conf, agent):
    service = service_mod.NodeService(conf, agent).start()
    try:
        yield service
    finally:
        service.stop()


@contextlib.contextmanager
def nodes_of(conf):
    nodes = remote.from_conf(conf)
    try:
        yield nodes
    finally:
        nodes.close()


class SlowRawDriver(raw.RawDriver):
    """A real raw pool whose create waits for :attr:`go` after writing
    the volume: a node busy (or stuck) mid-create."""

    def __init__(self, path, pool='raw'):
        super().__init__(executor_mod.Executor(), pool, path)
        self.go = threading.Event()
        self.started = threading.Event()

    def _create(self, name, size):
        volume = super()._create(name, size)
        self.started.set()
        self.go.wait(30)
        return volume


def _options(conf):
    """``{group or None: {option names}}`` registered on *conf*."""
    found = {None: set()}
    for name in conf:
        if isinstance(conf[name], cfg.ConfigOpts.GroupAttr):
            found[name] = set(conf[name])
        else:
            found[None].add(name)
    return found


def test_brick_conf_alone_is_enough_for_oslo_messaging(rabbitmq, tmp_path):
    from oslo_messaging import conffixture

    conf = node_conftest.make_conf(tmp_path, transport_url=rabbitmq.url)
    messaging.register_opts(conf)
    messaging.register_opts(conf)  # idempotent
    # The groups oslo.messaging's own fixture registers, no fewer: a new
    # group in oslo.messaging fails here, not in the first call.
    reference = cfg.ConfigOpts()
    conffixture.ConfFixture(reference)
    have = _options(conf)
    for group, wanted in _options(reference).items():
        assert wanted <= have.get(group, set()), group
    # ...and a real call on a transport built from it works.
    with serving(conf, agent_of(tmp_path)) as service, \
            nodes_of(conf) as nodes:
        assert nodes.get('node1').pools() == ['qcow2', 'raw']
        assert service.server.executor_type == 'threading'


def test_a_remote_node_answers_as_the_agent_does(rabbitmq, tmp_path):
    conf = node_conftest.make_conf(tmp_path, transport_url=rabbitmq.url,
                                   call_timeout=10)
    agent = agent_of(tmp_path)
    with serving(conf, agent), nodes_of(conf) as nodes:
        node = nodes.get('node1')
        volume, info = node.create_volume('qcow2', 'vol1', 4 * units.Mi)
        assert volume == agent.driver('qcow2').get('vol1')
        assert info == agent.driver('qcow2').attach('vol1')
        assert node.extend_volume('qcow2', 'vol1', 8 * units.Mi).size == \
            8 * units.Mi
        snap = node.snapshot_volume('qcow2', 'vol1', 'snap1')
        assert (snap.name, snap.volume) == ('snap1', 'vol1')
        got = node.report()
        assert got.host == 'node1' and got.complete
        assert [p.pool for p in got.pools] == ['raw', 'qcow2']
        assert got.pools[1].volumes == (report_mod.VolumeEntry(
            'vol1', 8 * units.Mi, True),)
        assert node.report(['raw']).pools[0].volumes == ()
        node.delete_volume('qcow2', 'vol1')
        node.delete_volume('qcow2', 'vol1')  # idempotent, as in process
        assert agent.driver('qcow2').list() == []


def test_brick_errors_cross_the_wire_with_their_message(rabbitmq,
                                                        tmp_path):
    conf = node_conftest.make_conf(tmp_path, transport_url=rabbitmq.url)
    agent = agent_of(tmp_path)
    agent.create_volume('raw', 'vol1', units.Mi)
    with serving(conf, agent), nodes_of(conf) as nodes:
        node = nodes.get('node1')
        with pytest.raises(exception.VolumeExists) as caught:
            node.create_volume('raw', 'vol1', 2 * units.Mi)
        local = pytest.raises(exception.VolumeExists,
                              agent.create_volume, 'raw', 'vol1',
                              2 * units.Mi).value
        assert type(caught.value) is exception.VolumeExists
        assert str(caught.value) == str(local) == caught.value.message
        assert caught.value.kwargs == local.kwargs
        with pytest.raises(exception.PoolNotFound, match="'fast' not found"):
            node.create_volume('fast', 'vol2', units.Mi)
        with pytest.raises(exception.InvalidName, match='volume name'):
            node.delete_volume('raw', '../etc')


def test_an_older_node_or_a_pinned_client_says_which_version(rabbitmq,
                                                             tmp_path):
    class OlderManager(manager.NodeManager):
        """A node of RPC 1.0: no delete_orphan yet."""

        def __init__(self, *args, **kwargs):
            import oslo_messaging

            super().__init__(*args, **kwargs)
            self.target = oslo_messaging.Target(version='1.0')

    conf = node_conftest.make_conf(tmp_path, transport_url=rabbitmq.url)
    agent = agent_of(tmp_path)
    original = manager.NodeManager
    service_mod.manager.NodeManager = OlderManager
    try:
        with serving(conf, agent), nodes_of(conf) as nodes:
            node = nodes.get('node1')
            assert node.pools() == ['qcow2', 'raw']
            with pytest.raises(exception.RPCVersionMismatch) as caught:
                node.delete_orphan('raw', 'vol1', time.time())
            assert 'node node1 cannot take delete_orphan (RPC 1.1)' in str(
                caught.value)
            assert 'rpc_version_cap' in str(caught.value)
    finally:
        service_mod.manager.NodeManager = original
    # Pinned below 1.1, the client does not even send it.
    conf.set_override('rpc_version_cap', '1.0', group='brick_node')
    with serving(conf, agent), nodes_of(conf) as nodes:
        assert not nodes.api.can_send_version('1.1')
        with pytest.raises(exception.RPCVersionMismatch,
                           match='rpc_version_cap is 1.0'):
            nodes.get('node1').delete_orphan('raw', 'vol1', time.time())
        # A report in a format this brick does not know is refused.
        primitive = agent.report().to_primitive()
        primitive['format'] = 2
        with pytest.raises(exception.InvalidValue, match='format 2'):
            report_mod.NodeReport.from_primitive(primitive)


def _closed_port_url():
    return 'rabbit://brick:secret@127.0.0.1:%d/' % servers.free_port()


def _within(seconds, call):
    """Run *call* in a thread; fail if it is still running after
    *seconds* (a hang), else return what it raised."""
    outcome = {}

    def run():
        try:
            call()
        except BaseException as err:
            outcome['error'] = err
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), 'still waiting after %s s' % seconds
    return outcome.get('error')


def test_a_broker_that_is_down_is_named_not_waited_for(tmp_path):
    url = _closed_port_url()
    conf = node_conftest.make_conf(tmp_path, transport_url=url,
                                   connect_retries=1)
    service = service_mod.NodeService(conf, agent_of(tmp_path))
    error = _within(30, service.start)
    assert isinstance(error, exception.BrokerUnavailable)
    text = str(error)
    assert 'rabbit://brick:***@127.0.0.1:' in text and 'secret' not in text
    assert '[brick_node]transport_url' in text
    assert service.transport is None  # cleaned up
    with nodes_of(conf) as nodes:
        error = _within(30, nodes.get('node1').pools)
    assert isinstance(error, exception.BrokerUnavailable)


def test_a_silent_node_is_unreachable_and_refuses_the_late_call(
        rabbitmq, tmp_path):
    slow = SlowRawDriver(str(tmp_path / 'node1' / 'raw'))
    conf = node_conftest.make_conf(tmp_path, transport_url=rabbitmq.url,
                                   call_timeout=1)
    messaging.register_opts(conf)
    conf.set_override('executor_thread_pool_size', 1)  # one call at a time
    agent = agent_of(tmp_path, replace={'raw': slow})
    with serving(conf, agent), nodes_of(conf) as nodes:
        node = nodes.get('node1')
        with pytest.raises(exception.NodeUnreachable, match='did not answer '
                           r'create_volume \(RPC 1.0\) within 1'):
            node.create_volume('raw', 'vol1', units.Mi)  # busy, then...
        with pytest.raises(exception.NodeUnreachable):
            node.create_volume('raw', 'vol2', units.Mi)  # ...queued
        slow.go.set()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not slow.list():
            time.sleep(0.1)
        time.sleep(1)  # the queued call is taken, late, and refused
        assert [v.name for v in slow.list()] == ['vol1']
        assert not os.path.exists(str(tmp_path / 'node1' / 'raw' / 'vol2'))
