# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The parts of the node service that need no server: what the reporter
sends when, URLs, consumers of adopted volumes."""

import pytest
from oslo_config import cfg

import brick.conf
from brick import drivers
from brick import exception
from brick import units
from brick.inventory import census
from brick.node import agent as agent_mod
from brick.node import liveness
from brick.node import messaging
from brick.node import report as report_mod
from brick.node import reporter as reporter_mod


@pytest.fixture
def node(tmp_path):
    return agent_mod.NodeAgent('node1', {
        pool: drivers.load('raw', pool=pool, path=str(tmp_path / pool))
        for pool in ('a', 'b')})


def test_the_reporter_sends_what_changed_and_the_rest_now_and_then(node):
    sent = []
    reporter = reporter_mod.Reporter(node, sent.append, interval=60,
                                     full_interval=3600)
    first = reporter.once(now=1000.0)
    assert first.complete and [p.pool for p in first.pools] == ['a', 'b']
    assert reporter.once(now=1001.0) is None  # nothing due, nothing dirty
    assert reporter.once(now=1061.0) is None  # a look: nothing changed
    node.create_volume('b', 'vol1', units.Mi)
    reporter.changed('b')
    changed = reporter.once(now=1062.0)
    assert not changed.complete and [p.pool for p in changed.pools] == ['b']
    assert changed.pools[0].volumes == (report_mod.VolumeEntry(
        'vol1', units.Mi, True),)
    # Made behind the node's back: seen at the next look only.
    node.driver('a').create('by-cli', units.Mi)
    assert reporter.once(now=1063.0) is None
    assert [p.pool for p in reporter.once(now=1123.0).pools] == ['a']
    full = reporter.once(now=4700.0)
    assert full.complete and len(full.pools) == 2
    assert sent == [first, changed, sent[2], full]


def test_a_report_that_could_not_be_sent_goes_with_the_next(node):
    def fail(report):
        raise exception.BrokerUnavailable(url='rabbit://x', option='o',
                                          reason='down')
    reporter = reporter_mod.Reporter(node, fail, interval=60,
                                     full_interval=3600)
    assert reporter.once(now=1000.0) is None
    sent = []
    reporter.send = sent.append
    again = reporter.once(now=1001.0)  # the pools stayed dirty
    assert [p.pool for p in again.pools] == ['a', 'b']


def test_a_monitor_asking_for_a_report_gets_one_soon(node):
    reporter = reporter_mod.Reporter(node, lambda report: None, interval=60,
                                     full_interval=3600, jitter=0)
    reporter.once(now=1000.0)
    reporter._full_at = 1000.0 + 3600  # noqa: SLF001 (as after a full)
    reporter.request(full=True)
    assert reporter.once().complete


def test_urls_are_masked_and_given_their_timeout():
    assert messaging.masked('rabbit://u:p@h1:5672,u:p@h2:5672/v') == \
        'rabbit://u:***@h1:5672,u:***@h2:5672/v'
    assert messaging.masked('redis://h:6379') == 'redis://h:6379'
    conf = cfg.ConfigOpts()
    brick.conf.register_opts(conf)
    conf([], default_config_files=[])
    assert liveness.backend_url(conf) is None
    for url, want in (
            ('redis://h:6379', 'redis://h:6379?membership_timeout=30'),
            ('zookeeper://h:2181?x=1', 'zookeeper://h:2181?x=1&timeout=30'),
            ('etcd3+http://h:2379?membership_timeout=5',
             'etcd3+http://h:2379?membership_timeout=5')):
        conf.set_override('backend_url', url, group='brick_coordination')
        assert liveness.backend_url(conf) == want
    # oslo.messaging's default transport_url does not make nodes remote.
    assert messaging.transport_url(conf) is None
    conf.set_override('transport_url', 'rabbit://h/')
    assert messaging.transport_url(conf) == 'rabbit://h/'
    conf.set_override('transport_url', 'rabbit://mine/', group='brick_node')
    assert messaging.transport_url(conf) == 'rabbit://mine/'


def test_adopted_volumes_are_recorded_under_their_maker():
    assert census.consumer_for('h1', 'made-by-cli') == 'node:h1'
    assert census.consumer_for(
        'h1', '0b4c2e1a-1111-4222-8333-944455556666.ext.disk3.snap') == \
        'ganeti:0b4c2e1a-1111-4222-8333-944455556666'
    assert census.is_adopted('node:h1') and not census.is_adopted('vm1')


def test_a_remote_error_is_raised_again_plain():
    err = exception.VolumeExists(name='v', pool='p', existing='1',
                                 requested='2')
    remote_cls = type('VolumeExists_Remote', (exception.VolumeExists,), {
        '__str__': lambda self: 'message\ntraceback'})
    err.__class__ = remote_cls
    clean = messaging.clean_error(err)
    assert type(clean) is exception.VolumeExists
    assert str(clean) == clean.message == err.message
    assert clean.kwargs == err.kwargs
