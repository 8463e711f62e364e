# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The flow records' backend stores what taskflow's does, with fewer
writes."""

import pytest
from taskflow import exceptions as tf_exceptions
from taskflow.persistence import models

from brick import exception
from brick.db import engine
from brick.workflow import persistence


@pytest.fixture
def store(tmp_path):
    db = engine.Database('sqlite:///%s' % (tmp_path / 'b.sqlite'))
    found = persistence.FlowStore(db)
    found.upgrade()
    yield found
    db.dispose()


def test_atoms_round_trip_and_progress_only_changes_are_not_written(store):
    flow_id = '6a1c3bd8-58a3-4f39-9a52-3c1d7d2b8f00'
    book, detail = store.create(flow_id, {'kind': 'volume', 'attempts': 1,
                                          'reserve_count': 1})
    atom = models.TaskDetail('CreateVolumesTask', 'a1')
    detail.add(atom)
    with store.connection() as conn:
        conn.update_flow_details(detail)
        atom.state = 'SUCCESS'
        atom.results = [{'name': 'vol1', 'size': 512}]
        conn.update_atom_details(atom)
        atom.meta['progress'] = 1.0
        calls = []
        real = store.db.engine.begin
        store.db.engine.begin = lambda: calls.append(1) or real()
        try:
            conn.update_atom_details(atom)  # progress only: skipped
            assert calls == []
            atom.intention = 'REVERT'
            conn.update_atom_details(atom)  # a real change: written
            assert calls == [1]
        finally:
            del store.db.engine.begin
        with pytest.raises(tf_exceptions.NotFound):
            conn.update_atom_details(models.TaskDetail('x', 'missing'))
    _book, loaded = store.load(flow_id)
    stored = loaded.find('a1')
    assert (stored.state, stored.intention) == ('SUCCESS', 'REVERT')
    assert stored.results == [{'name': 'vol1', 'size': 512}]
    assert loaded.meta['factory']['kwargs']['kind'] == 'volume'
    assert store.unfinished() == [flow_id]
    store.destroy(flow_id)
    assert store.unfinished() == []
    store.destroy(flow_id)  # gone already: fine


def _counting(store):
    calls = []
    real = store.db.engine.begin
    store.db.engine.begin = lambda: calls.append(1) or real()
    return calls


def test_a_deferred_flow_is_written_at_save_points_only(store):
    flow_id = '0f3e1c2a-6b1d-4d7e-9a5c-2d8b7e6f1a00'
    book, detail = store.create(flow_id, {'kind': 'volume', 'attempts': 1,
                                          'reserve_count': 1}, defer=True)
    retry = models.RetryDetail('reschedule', 'r1')
    task = models.TaskDetail('ReserveTask', 't1')
    detail.add(retry)
    detail.add(task)
    calls = _counting(store)
    try:
        with store.connection() as conn:
            conn.update_flow_details(detail)
            detail.state = 'RUNNING'
            conn.update_flow_details(detail)
            retry.state = 'SUCCESS'
            retry.results = [[{'number': 1}, {}]]
            conn.update_atom_details(retry)
            assert calls == []  # no side effect yet: nothing written
            assert store.unfinished() == []
            task.state = 'RUNNING'
            conn.update_atom_details(task)  # save point: all at once
            assert calls == [1]
            _book, loaded = store.load(flow_id)
            assert loaded.state == 'RUNNING'
            assert (loaded.find('r1').state, loaded.find('t1').state) == (
                'SUCCESS', 'RUNNING')
            assert loaded.meta['factory']['kwargs']['kind'] == 'volume'
            task.state = 'SUCCESS'
            task.results = ['x']
            conn.update_atom_details(task)  # held until a flush
            assert store.load(flow_id)[1].find('t1').state == 'RUNNING'
    finally:
        del store.db.engine.begin
    store.flush(flow_id)
    loaded = store.load(flow_id)[1].find('t1')
    assert (loaded.state, loaded.results) == ('SUCCESS', ['x'])
    with store.connection() as conn:  # no longer deferred: written now
        task.intention = 'REVERT'
        conn.update_atom_details(task)
    assert store.load(flow_id)[1].find('t1').intention == 'REVERT'
    assert store.unfinished() == [flow_id]
    store.destroy(flow_id)
    assert store.unfinished() == []


def test_a_deferred_flow_destroyed_before_a_save_point_leaves_nothing(
        store):
    flow_id = '5b7a0d7e-2c4f-4b8a-8f0e-1e9d3c6a2b00'
    _book, detail = store.create(flow_id, {'kind': 'boot', 'attempts': 1,
                                           'reserve_count': 1}, defer=True)
    with store.connection() as conn:
        detail.add(models.TaskDetail('SelectCandidatesTask', 's1'))
        conn.update_flow_details(detail)
    store.destroy(flow_id)
    with pytest.raises(exception.FlowNotFound):
        store.load(flow_id)
    store.flush(flow_id)  # not deferred any more: nothing to write
    with pytest.raises(exception.FlowNotFound):
        store.load(flow_id)
