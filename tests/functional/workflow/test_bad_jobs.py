# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Bad input to recovery: a job whose details do not parse, and a flow
recorded by a brick whose flow no longer exists.  Each fails clearly,
is recorded, and is never retried forever; the conductor goes on."""

import contextlib
import threading
import time
import uuid

import pytest
import sqlalchemy as sa
from taskflow.persistence import backends as tf_backends
from taskflow.persistence import models as tf_models

from brick import api
from brick import exception
from brick import units
from brick.cmd import conductor as conductor_cmd
from brick.db import engine
from brick.db import migration
from brick.workflow import flow as flow_mod
from brick.workflow import jobs
from brick.workflow import persistence
from tests.functional import daemons
from tests.functional.db import servers
from tests.functional.workflow import conductor_child
from tests.functional.workflow import site as site_mod

SIZE = 8 * units.Mi


@pytest.fixture
def redis():
    try:
        with daemons.start(daemons.Redis) as server:
            yield server
    except servers.Unavailable as err:
        pytest.skip('needs %s (tools/setup-host installs it)' % err.tool)


@contextlib.contextmanager
def running_conductor(conf, nodes):
    found = conductor_cmd.build(conf, handlers={}, nodes=nodes)
    thread = threading.Thread(target=found.run, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        found.stop()
        thread.join(30)
        found.close()
        found.api.close()


def _good(service, name):
    return service.create_volume(name, size=SIZE, driver='raw')


def test_bad_jobs_are_recorded_and_dropped_and_the_conductor_goes_on(
        redis, tmp_path):
    url = 'sqlite:///%s' % (tmp_path / 'brick.sqlite')
    db = engine.Database(url)
    migration.upgrade(db)
    site = site_mod.Site(db, tmp_path)
    site.api().close()  # report capacity
    conf = conductor_child.configure(url, redis.url, tmp_path)
    nodes = site.api().nodes
    site.close()
    service = api.API(conf, db=db)
    board = jobs.connect(redis.url)
    try:
        with running_conductor(conf, list(nodes)):
            assert _good(service, 'vol-before').host in site_mod.HOSTS
            # Not even a dict: dropped, nothing to record.
            board.post('garbage', details=['not', 'a', 'placement'])
            # A flow id, but a kind that does not exist, or a bad name:
            # recorded as failed under that flow id.
            bad = {}
            for field, value in (('kind', 'explode'),
                                 ('consumer', '../../etc')):
                flow_id = str(uuid.uuid4())
                spec = jobs.Spec(flow_id, 'volume', 1, 1, {
                    'request': {'flavor': {}, 'hints': {},
                                'args': {'size': SIZE}},
                    'consumer': 'vol-x', 'volume_names': ['vol-x'],
                    'flow_id': flow_id})
                details = jobs.details(spec)
                if field == 'kind':
                    details['kind'] = value
                else:
                    details['store']['consumer'] = value
                board.post('bad', details=details)
                bad[field] = flow_id
            with pytest.raises(exception.InvalidJob, match='kind'):
                service.result(bad['kind'], timeout=60)
            with pytest.raises(exception.InvalidName, match='etc'):
                service.result(bad['consumer'], timeout=60)
            # The conductor is alive and well.
            assert _good(service, 'vol-after').host in site_mod.HOSTS
            deadline = time.monotonic() + 30
            while board.job_count and time.monotonic() < deadline:
                time.sleep(0.05)
            assert board.job_count == 0  # nothing retried forever
            assert redis_trash(board) == 3
        assert service.runner.unfinished() == []
    finally:
        board.close()
        service.close()
        db.dispose()


def redis_trash(board):
    """How many jobs the Redis board keeps in its trash."""
    return board._client.hlen(board.trash_key)  # noqa: SLF001 - test only


def _old_record(store, flow_id, version=1):
    """A flow recorded as a brick of another flow *version* did."""
    record = store.new(flow_id, {'kind': 'volume', 'attempts': 1,
                                 'reserve_count': 1}, 'vol-old')
    record.meta['version'] = version
    record.meta['owner'] = None
    record.detail.state = 'RUNNING'
    store.save(record)
    return record


def test_a_flow_of_a_brick_version_that_no_longer_exists(redis, tmp_path):
    url = 'sqlite:///%s' % (tmp_path / 'brick.sqlite')
    db = engine.Database(url)
    migration.upgrade(db)
    site = site_mod.Site(db, tmp_path)
    # Embedded: resume fails it clearly, once, and records why.
    service = site.api()
    old = str(uuid.uuid4())
    _old_record(service.runner.store, old)
    (done,) = service.resume()
    assert done.flow_id == old and done.consumer == 'vol-old'
    assert isinstance(done.outcome, exception.FlowUnresumable)
    assert 'version 1' in str(done.outcome)
    assert 'version %d' % flow_mod.VERSION in str(done.outcome)
    assert service.resume() == []  # not retried
    assert isinstance(persistence.error_from(
        service.runner.store.outcome(old)['error']),
        exception.FlowUnresumable)
    # A conductor given its job: the same, and the job is consumed.
    conf = conductor_child.configure(url, redis.url, tmp_path)
    poster = api.API(conf, db=db)
    other = str(uuid.uuid4())
    _old_record(poster.runner.store, other, version=flow_mod.VERSION + 1)
    board = jobs.connect(redis.url)
    try:
        board.post('old', details=jobs.details(jobs.Spec(
            other, 'volume', 1, 1, {
                'request': {'flavor': {}, 'hints': {},
                            'args': {'size': SIZE}},
                'consumer': 'vol-old', 'volume_names': ['vol-old'],
                'flow_id': other})))
        with running_conductor(conf, list(service.nodes)):
            with pytest.raises(exception.FlowUnresumable, match='version'):
                poster.result(other, timeout=60)
            deadline = time.monotonic() + 30
            while board.job_count and time.monotonic() < deadline:
                time.sleep(0.05)
            assert board.job_count == 0
    finally:
        board.close()
        poster.close()
        site.close()
        db.dispose()


def test_flows_left_in_taskflows_tables_are_failed_clearly(tmp_path):
    """An earlier brick kept its records in taskflow's own tables; the
    migration copies them over, and resuming them says why it cannot."""
    url = 'sqlite:///%s' % (tmp_path / 'brick.sqlite')
    migration.upgrade(url, '0001')
    old = tf_backends.fetch({'connection': url})
    with contextlib.closing(old.get_connection()) as conn:
        conn.upgrade()
        book = tf_models.LogBook('brick-placement',
                                 uuid='0f3e1c2a-6b1d-4d7e-9a5c-2d8b7e6f1a00')
        detail = tf_models.FlowDetail('brick-volume', uuid=book.uuid)
        detail.meta = {'factory': {'name': 'brick.workflow.flow.get_flow',
                                   'args': [], 'kwargs': {
                                       'kind': 'volume', 'attempts': 1,
                                       'reserve_count': 1}},
                       'owner': {'host': 'old', 'pid': 1}}
        detail.state = 'RUNNING'
        detail.add(tf_models.TaskDetail('SelectCandidatesTask', 'a1'))
        book.add(detail)
        conn.save_logbook(book)
    old.close()
    db = engine.Database(url)
    migration.upgrade(db)
    with db.begin(readonly=True) as conn:
        assert conn.scalar(sa.text('SELECT COUNT(*) FROM flow_atoms')) == 1
    site = site_mod.Site(db, tmp_path)
    service = site.api()
    (done,) = service.resume()
    assert done.flow_id == book.uuid
    assert isinstance(done.outcome, exception.FlowUnresumable)
    assert service.resume() == []
    site.close()
    db.dispose()
