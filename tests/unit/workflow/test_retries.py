# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The retry controllers decide from failures, also persisted ones."""

import pickle

import pytest
from taskflow import retry
from taskflow.types import failure as tf_failure

from brick import exception
from brick.workflow import retries


def failure_of(err):
    try:
        raise err
    except Exception:
        return tf_failure.Failure()


def history(*attempts):
    return retry.History([(None, outcomes) for outcomes in attempts])


def host_failed(*hosts):
    return failure_of(exception.HostFailed(host=hosts[0], hosts=list(hosts),
                                           step='boot', reason='boom'))


def test_failed_hosts_survive_persistence():
    live = host_failed('h1', 'h2')
    stored = tf_failure.Failure.from_dict(live.to_dict())
    assert stored.exception is None
    assert retries.failed_hosts(live) == ['h1', 'h2']
    assert retries.failed_hosts(stored) == ['h1', 'h2']
    assert retries.failed_hosts(failure_of(ValueError('x'))) == []


def test_host_failed_message_is_the_message():
    err = exception.HostFailed(host='h1', step='boot vm1', reason='boom')
    assert str(err) == 'Host h1 failed to boot vm1: boom'
    assert err.args[1] == ['h1']


def test_reschedule_excludes_every_failed_host():
    controller = retries.Reschedule(3)
    found = controller.execute(history({'create': host_failed('h1', 'h2')},
                                       {'boot': host_failed('h3')}))
    assert found == {'number': 3, 'exclude_hosts': ['h1', 'h2', 'h3']}
    assert controller.execute(history()) == {'number': 1,
                                             'exclude_hosts': []}


@pytest.mark.parametrize('err, decision', [
    (exception.HostFailed(host='h1', step='s', reason='r'), retry.RETRY),
    (exception.InsufficientCapacity(pool='p', requested=1, available=0),
     retry.RETRY),
    (exception.ConcurrentUpdate(what='w', attempts=1, reason='r'),
     retry.RETRY),
    (exception.NoValidHost(summary='none'), retry.REVERT),
    (exception.HandlerNotFound(name='x', available='none'), retry.REVERT),
    (ValueError('bug'), retry.REVERT),
])
def test_reschedule_retries_only_what_another_host_may_fix(err, decision):
    controller = retries.Reschedule(3)
    assert controller.on_failure(history({'t': failure_of(err)})) == decision


def test_reschedule_stops_after_the_attempts():
    controller = retries.Reschedule(2)
    failed = {'boot': host_failed('h1')}
    assert controller.on_failure(history(failed)) == retry.RETRY
    assert controller.on_failure(history(failed, failed)) == retry.REVERT


@pytest.mark.parametrize('attempts', [0, -1, 'three', True, 1.5])
def test_reschedule_validates_attempts(attempts):
    with pytest.raises(exception.InvalidValue, match='attempts'):
        retries.Reschedule(attempts)


def test_host_failed_pickles_with_its_hosts():
    err = exception.HostFailed(host='h1', hosts=['h0', 'h1'], step='boot',
                               reason='boom')
    copy = pickle.loads(pickle.dumps(err))
    assert (str(copy), copy.args, copy.kwargs['host']) == (
        str(err), err.args, 'h1')
