# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Flow building, boot handlers, listeners, nodes and the API's input
checks: everything that needs no database."""

import pytest
from oslo_config import cfg

import brick.conf
from brick import api
from brick import exception
from brick.drivers import raw
from brick.node import agent
from brick.node import directory
from brick.workflow import flow
from brick.workflow import handlers
from brick.workflow import listeners
from brick.workflow import runner


def test_get_flow_has_the_steps_in_order():
    boot = flow.get_flow('boot', attempts=2, reserve_count=3)
    names = [atom.name.rsplit('.', 1)[-1] for atom, _ in boot.iter_nodes()]
    assert names == ['ReserveTask', 'CreateVolumesTask',
                     'BootInstanceTask', 'CommitTask']
    assert boot.retry.attempts == 2
    volume = flow.get_flow('volume')
    assert 'BootInstanceTask' not in str(list(volume.iter_nodes()))


@pytest.mark.parametrize('kwargs, field', [
    ({'kind': 'vm'}, 'flow kind'),
    ({'reserve_count': 0}, 'reserve_count'),
    ({'attempts': 0}, 'attempts'),
])
def test_get_flow_validates(kwargs, field):
    with pytest.raises(exception.InvalidValue, match=field):
        flow.get_flow(**kwargs)


def test_registry_wraps_callables_and_names_the_missing():
    registry = handlers.Registry()
    calls = []
    registry.register('hv', lambda *a: calls.append(('boot',) + a),
                      lambda *a: calls.append(('revert',) + a))
    registry.get('hv').boot('vm1', 'h1', [])
    registry.get('hv').revert('vm1', 'h1', [])
    assert calls == [('boot', 'vm1', 'h1', []), ('revert', 'vm1', 'h1', [])]
    with pytest.raises(exception.HandlerNotFound, match="'nova'.*hv"):
        registry.get('nova')
    with pytest.raises(exception.InvalidValue):
        registry.register('bad', 'not callable')
    with pytest.raises(exception.InvalidName):
        registry.register('no spaces', lambda *a: None)


def test_callback_listener_survives_a_failing_callback():
    events = []

    def callback(event):
        events.append(event)
        raise RuntimeError('the callback is broken')

    class Engine:
        notifier = atom_notifier = None

    listener = listeners.CallbackListener(Engine(), callback, 'f1')
    listener._task_receiver('RUNNING', {'task_name': 'ReserveTask'})
    assert events == [listeners.Event('f1', 'task', 'ReserveTask',
                                      'RUNNING')]


def test_directory_finds_nodes_by_host(tmp_path):
    node = agent.NodeAgent('h1', {'raw': raw.RawDriver(
        None, 'raw', str(tmp_path))})
    nodes = directory.Directory([node])
    assert nodes.get('h1') is node
    assert nodes.hosts() == ['h1'] and len(nodes) == 1
    with pytest.raises(exception.NotFound, match="'h2'.*h1"):
        nodes.get('h2')
    with pytest.raises(exception.InvalidValue):
        nodes.add('h3')
    with pytest.raises(exception.PoolNotFound, match='raw'):
        node.driver('qcow2')


def test_node_agent_validates():
    with pytest.raises(exception.InvalidName):
        agent.NodeAgent('bad host', {})
    with pytest.raises(exception.InvalidValue):
        agent.NodeAgent('h1', ['raw'])


def make_api():
    conf = cfg.ConfigOpts()
    brick.conf.register_opts(conf)
    conf([], default_config_files=[])
    service = api.API(conf)
    service.handlers.register('hv', lambda *a: None)
    return service


@pytest.mark.parametrize('call, error, text', [
    (lambda s: s.boot_instance('bad id', 'hv', size='1G'),
     exception.InvalidName, 'instance id'),
    (lambda s: s.boot_instance('vm1', 'nova', size='1G'),
     exception.HandlerNotFound, 'nova'),
    (lambda s: s.boot_instance('vm1', 'hv'),
     exception.InvalidValue, 'local storage'),
    (lambda s: s.boot_instance('vm1', 'hv', size='1G', count=2,
                               volume_names=['a']),
     exception.InvalidValue, 'volume_names'),
    (lambda s: s.boot_instance('vm1', 'hv', size='lots'),
     exception.InvalidSize, 'size'),
    (lambda s: s.boot_instance('vm1', 'hv', flavor={'brick:nope': '1'}),
     exception.InvalidValue, 'brick:nope'),
    (lambda s: s.create_volume('vol1', size='1G', colour='red'),
     exception.InvalidValue, 'colour'),
    (lambda s: s.boot_instance('vm1', 'hv', flavor='m1.small'),
     exception.InvalidValue, 'flavor'),
    (lambda s: s.create_volume('vol1', size='1G', listener='print'),
     exception.InvalidValue, 'listener'),
    (lambda s: s.snapshot_volume('vol1', 'bad name'),
     exception.InvalidName, 'snapshot name'),
])
def test_api_checks_input_before_touching_anything(call, error, text):
    service = make_api()
    with pytest.raises(error, match=text):
        call(service)
    assert service._db is None  # nothing was opened


def test_flows_are_reused_but_never_lent_twice_at_once():
    flows = runner.Flows()
    kwargs = {'kind': 'volume', 'attempts': 2, 'reserve_count': 1}
    with flows.borrow(**kwargs) as first:
        with flows.borrow(**kwargs) as second:
            assert second is not first
    with flows.borrow(**kwargs) as again:
        assert again in (first, second)
    with pytest.raises(RuntimeError), flows.borrow(**kwargs) as failed:
        raise RuntimeError('a failed run gives its flow back')
    with flows.borrow(**kwargs) as after, flows.borrow(**kwargs) as more:
        assert {after, more} == {first, second} and failed in (first, second)
    with flows.borrow(kind='boot', attempts=2, reserve_count=1) as boot:
        assert boot not in (first, second) and boot.name == 'brick-boot'
