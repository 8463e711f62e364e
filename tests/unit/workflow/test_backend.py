# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Flow records and their owners on a real SQLite file: what is listed
as unfinished, and who may take a flow over."""

import subprocess
import sys
import time

import pytest
from taskflow import states
from taskflow.persistence import models

from brick import exception
from brick.db import engine
from brick.db import migration
from brick.workflow import ownership
from brick.workflow import persistence

FACTORY = {'kind': 'volume', 'attempts': 1, 'reserve_count': 1}
FLOW = '6a1c3bd8-58a3-4f39-9a52-3c1d7d2b8f00'


@pytest.fixture
def db(tmp_path):
    found = engine.Database('sqlite:///%s' % (tmp_path / 'b.sqlite'))
    migration.upgrade(found)
    yield found
    found.dispose()


@pytest.fixture
def owners(db):
    made = []

    def make(ttl=30.0):
        owner = ownership.Owner(db, ttl)
        made.append(owner)
        return owner
    yield make
    for owner in made:
        owner.close()


def saved(store, flow_id=FLOW, consumer='vol1'):
    record = store.new(flow_id, FACTORY, consumer, owner=store.owner.id)
    record.detail.state = states.RUNNING
    record.detail.add(models.TaskDetail('CreateVolumesTask', 'a-' + flow_id))
    store.save(record)
    return record


def test_a_record_round_trips_and_a_live_owners_flow_is_not_listed(
        db, owners):
    mine = persistence.FlowStore(db, owners())
    record = saved(mine)
    atom = record.detail.find('a-' + FLOW)
    atom.state, atom.results = 'SUCCESS', [{'name': 'vol1', 'size': 512}]
    mine.save(record)
    loaded = mine.load(FLOW)
    assert loaded.meta['factory']['kwargs']['kind'] == 'volume'
    assert loaded.meta['version'] == 2 and loaded.meta['consumer'] == 'vol1'
    assert loaded.detail.find('a-' + FLOW).results == [
        {'name': 'vol1', 'size': 512}]
    # Its owner (this process) is alive and runs it: nobody lists it...
    assert mine.unfinished(running={FLOW}) == []
    other = persistence.FlowStore(db, owners())
    assert other.unfinished() == []
    with pytest.raises(exception.FlowBusy, match='alive'):
        other.take(mine.pending(FLOW))
    # ...but its own process may take it back once it stopped running.
    (pending,) = mine.unfinished()
    assert (pending.flow_id, pending.consumer) == (FLOW, 'vol1')
    mine.destroy(FLOW)
    mine.destroy(FLOW)  # gone already: fine
    with pytest.raises(exception.FlowNotFound):
        mine.load(FLOW)


def test_a_closed_owners_flow_is_taken_by_exactly_one(db, owners):
    first = persistence.FlowStore(db, owners())
    saved(first)
    first.owner.close()  # the process ended: its flows are free at once
    second = persistence.FlowStore(db, owners())
    third = persistence.FlowStore(db, owners())
    (seen_by_second,) = second.unfinished()
    (seen_by_third,) = third.unfinished()
    second.take(seen_by_second)
    with pytest.raises(exception.FlowBusy):
        third.take(seen_by_third)  # read before the take: CAS fails
    assert third.unfinished() == []  # the second one is alive
    assert second.pending(FLOW).owner == second.owner.id
    # Let go, it is anyone's again (third's compare-and-swap on NULL).
    second.owner.let_go(FLOW)
    (free,) = third.unfinished()
    assert free.owner is None and free.leased
    third.take(free)
    assert third.pending(FLOW).owner == third.owner.id


def test_an_expired_lease_is_taken_and_the_old_owner_stops(db, owners):
    stalled = owners(ttl=1.0)
    store = persistence.FlowStore(db, stalled)
    saved(store)
    stalled._stop.set()  # its heartbeat stalls (a paused process)
    other = persistence.FlowStore(db, owners())
    assert other.unfinished() == []
    time.sleep(1.2)
    (pending,) = other.unfinished()
    other.take(pending)
    with pytest.raises(exception.FlowInterrupted, match='no longer owns'):
        stalled.renew()
    with pytest.raises(exception.FlowInterrupted):
        stalled.check()


def test_a_process_gone_on_this_machine_is_not_waited_for(db, owners):
    child = subprocess.run([sys.executable, '-c', 'import os; '
                            'print(os.getpid())'], capture_output=True,
                           text=True, check=True)
    pid = int(child.stdout)
    here = ownership.Process.this()
    assert not here.gone()
    dead = ownership.Process('elsewhere', pid, 12345, here.machine)
    assert dead.gone()  # same machine: its pid is checked
    assert not ownership.Process('x', pid, 1, 'another/1').gone()
    assert not ownership.Process('x', pid, 1, None).gone()


def test_outcomes_failures_and_purge(db, owners):
    store = persistence.FlowStore(db, owners())
    record = saved(store)
    assert store.outcome(FLOW) is None  # still running
    error = exception.FlowUnresumable(id=FLOW, reason='test')
    store.fail(record, error)
    assert store.unfinished() == []  # FAILURE is final
    found = store.outcome(FLOW)
    assert isinstance(persistence.error_from(found['error']),
                      exception.FlowUnresumable)
    assert persistence.error_from({'type': 'os.system'}).__class__ is \
        exception.BrickException
    assert store.purge(older_than=3600) == 0
    assert store.purge(older_than=-1) == 1
    with pytest.raises(exception.FlowNotFound):
        store.outcome(FLOW)


def test_a_bad_lease_length_is_refused(db):
    with pytest.raises(exception.InvalidValue, match='owner_ttl'):
        ownership.Owner(db, 0)
