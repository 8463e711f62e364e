# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The ``brick.conductor.nodes`` plugins, loaded through stevedore."""

import pytest
from oslo_config import cfg

import brick.conf
from brick import exception
from brick.node import agent
from brick.workflow import nodes


def make_conf(tmp_path, **conductor):
    conf = cfg.ConfigOpts()
    brick.conf.register_opts(conf)
    conf([], project='brick', default_config_files=[])
    conf.set_override('data_dir', str(tmp_path), 'brick')
    for name, value in conductor.items():
        conf.set_override(name, value, 'brick_conductor')
    return conf


def test_lab_makes_a_node_per_host_with_file_pools(tmp_path):
    conf = make_conf(tmp_path, nodes='lab', lab_hosts=['h1', 'h2'],
                     lab_pools=['raw'])
    found = nodes.load(conf)
    assert [node.host for node in found] == ['h1', 'h2']
    assert all(isinstance(node, agent.NodeAgent) for node in found)


def test_remote_needs_a_broker_and_holds_no_node(tmp_path):
    conf = make_conf(tmp_path, nodes='remote')
    with pytest.raises(exception.InvalidValue) as caught:
        nodes.load(conf)
    assert 'transport_url' in str(caught.value)
    conf.set_override('transport_url', 'rabbit://127.0.0.1:5672/',
                      'brick_node')
    assert nodes.load(conf) == []


def test_an_unknown_plugin_is_named_with_the_known_ones(tmp_path):
    with pytest.raises(exception.InvalidValue) as caught:
        nodes.load(make_conf(tmp_path, nodes='zfs-cluster'))
    message = str(caught.value)
    assert "'zfs-cluster'" in message and 'local, remote, lab' in message
