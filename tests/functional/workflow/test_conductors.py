# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Conductors on a real jobboard (Redis, ZooKeeper) and a real
PostgreSQL: 100 boots posted from 4 client processes to 2 conductors,
one of which is killed with SIGKILL while it runs jobs.  Every placement
finishes exactly once, with no manual step, and the census is clean."""

import collections
import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
import sqlalchemy as sa

from brick.db import engine
from brick.db import migration
from brick.db import models
from brick.inventory import allocations
from brick.workflow import jobs
from tests.functional import daemons
from tests.functional.db import servers
from tests.functional.workflow import site as site_mod

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
CLIENTS = 4
PER_CLIENT = 25


def _daemon(cls):
    try:
        return daemons.start(cls)
    except servers.Unavailable as err:
        pytest.skip('needs %s (tools/setup-host installs it)' % err.tool)


def board_url(server):
    if isinstance(server, daemons.Redis):
        return server.url + '?namespace=brick-%s' % uuid.uuid4().hex[:8]
    return '%s/brick-%s?timeout=3' % (server.url, uuid.uuid4().hex[:8])


def spawn(module, *args):
    return subprocess.Popen(
        [sys.executable, '-m', 'tests.functional.workflow.' + module,
         *[str(arg) for arg in args]], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)


def boots(log, verbs=('boot', 'revert')):
    """``[(verb, instance, pid, start, end)]`` from the handlers' log."""
    if not os.path.exists(log):
        return []
    with open(log) as lines:
        return [(verb, instance, int(pid), float(start), float(end))
                for verb, instance, pid, start, end in
                (line.split() for line in lines) if verb in verbs]


def wait_until(check, timeout, what, processes=()):
    """Wait for *check*; fail early with its output if one of the
    *processes* ended."""
    deadline = time.monotonic() + timeout
    while not check():
        for process in processes:
            if process.poll() is not None:
                out, err = process.communicate()
                raise AssertionError('%s ended (%s) while waiting for %s:\n'
                                     '%s' % (process.args, process.returncode,
                                             what, err[-3000:]))
        if time.monotonic() > deadline:
            raise AssertionError('timed out waiting for %s' % what)
        time.sleep(0.05)


@pytest.fixture
def pg_url(postgresql_server):
    name = 'brick_%s' % uuid.uuid4().hex[:16]
    url = postgresql_server.create_database(name)
    try:
        yield url
    finally:
        postgresql_server.drop_database(name)


@pytest.mark.parametrize('board', [daemons.Redis, daemons.ZooKeeper],
                         ids=lambda cls: cls.name)
def test_a_killed_conductors_jobs_finish_elsewhere_exactly_once(
        board, pg_url, tmp_path):
    db = engine.Database(pg_url)
    migration.upgrade(db)
    site = site_mod.Site(db, tmp_path)
    log = tmp_path / 'boots.log'
    running = []
    with _daemon(board) as server:
        url = board_url(server)
        try:
            # One name for both, as two conductors on one host get by
            # default: a Redis claim in a name is renewed by a claim in
            # the same name, so each must claim in a name of its own.
            conductors = [spawn('conductor_child', pg_url, url, tmp_path,
                                log, 'same', '0.2') for i in range(2)]
            running.extend(conductors)
            clients = [spawn('client_child', pg_url, url, tmp_path,
                             'vm%d' % i, PER_CLIENT) for i in range(CLIENTS)]
            running.extend(clients)
            # Kill one conductor in the middle of a boot, once it booted
            # 5 instances.
            def busy():
                lines = boots(log, verbs=('start', 'boot'))
                done = collections.Counter(b[2] for b in lines
                                           if b[0] == 'boot')
                ended = {(b[1], b[2]) for b in lines if b[0] == 'boot'}
                return [c for c in conductors if done[c.pid] >= 5 and any(
                    b[0] == 'start' and b[2] == c.pid and (b[1], c.pid)
                    not in ended for b in lines)]
            wait_until(busy, 180, 'a conductor in its sixth boot',
                       conductors)
            victim = busy()[0]
            victim.send_signal(signal.SIGKILL)
            killed_at = time.time()
            assert victim.wait(30) == -signal.SIGKILL
            outcomes = []
            for client in clients:
                out, err = client.communicate(timeout=300)
                assert client.returncode == 0, err
                outcomes.extend(json.loads(line) for line in out.splitlines())
        finally:
            for process in running:
                if process.poll() is None:
                    process.terminate()
            for process in running:
                try:
                    process.communicate(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.communicate()
        # Every placement finished, each exactly once.
        assert len(outcomes) == CLIENTS * PER_CLIENT
        assert [o for o in outcomes if 'error' in o] == []
        consumers = sorted(o['consumer'] for o in outcomes)
        assert len(set(consumers)) == len(consumers)
        calls = collections.defaultdict(list)
        for verb, instance, pid, start, end in boots(log):
            calls[instance].append((verb, pid, start, end))
        for instance in consumers:
            done = [c for c in calls[instance] if c[0] == 'boot']
            survivors = [c for c in done if c[1] != victim.pid]
            # At most one boot by a live conductor; a second call only if
            # the killed one had booted it but not recorded it yet.
            assert len(survivors) <= 1 and len(done) <= 2, calls[instance]
            assert done, instance
            assert not [c for c in calls[instance] if c[0] == 'revert']
        assert all(end <= killed_at + 0.5 for _verb, _inst, pid, _start, end
                   in boots(log) if pid == victim.pid)
        # The census: one allocation per volume, a file per allocation,
        # nothing reserved, nothing unfinished, an empty board.
        held = site.allocations()
        assert sorted(a.consumer for a in held) == consumers
        assert allocations.check(db) == []
        assert site.live() == []
        on_disk = sorted(path for o in outcomes for path in o['volumes'])
        assert all(os.path.isfile(path) for path in on_disk)
        assert sum(len(names) for names in site.files().values()) == len(
            on_disk)
        with db.begin(readonly=True) as conn:
            states = collections.Counter(row.state for row in conn.execute(
                sa.select(models.flow_details.c.state)))
            taken = [row for row in conn.execute(sa.select(
                models.flow_details.c.meta, models.flow_leases.c.owner).join(
                    models.flow_leases, models.flow_leases.c.flow_uuid ==
                    models.flow_details.c.uuid))
                if json.loads(row.meta)['owner'] != row.owner]
        assert set(states) <= {'SUCCESS'}, states
        # The kill hit jobs in flight: the survivor took them over.
        assert taken
        check = jobs.connect(url)
        try:
            assert check.job_count == 0
        finally:
            check.close()
    db.dispose()
