# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""SIGKILL at every boundary of every flow kind, then recovery in a
fresh process; the census after it is the same as if nothing happened
(committed exactly once) or as if the placement never started.

For each kind (boot and volume, of 1 and of 3 volumes) a placement runs
once with a listener recording its events (every state change of the
flow, its tasks and its retry controllers); then, for every event K, a
new process starts the same placement and kills itself with SIGKILL at
event K (a RUNNING event: before the step; a SUCCESS event: after its
side effect, before the next record), and another new process, with no
cache of its own, resumes what is left (``API.resume``, the boot handler
registered).  Processes are forked from the test, which holds no brick
object of its own at that moment.
"""

import collections
import json
import os
import signal

import pytest

from brick import api
from brick import units
from brick.db import engine
from brick.inventory import allocations
from brick.inventory import reservations
from brick.node import agent
from tests.functional.workflow import conductor_child
from tests.functional.workflow import site as site_mod

SIZE = 8 * units.Mi
TWO_DATABASES = pytest.mark.parametrize(
    'database_url', [pytest.param(name, marks=pytest.mark.database(name))
                     for name in ('sqlite', 'postgresql')], indirect=True)
"""SQLite and PostgreSQL: the two this runs on (MariaDB runs the other
workflow tests)."""
KINDS = [('boot', 1), ('boot', 3), ('volume', 1), ('volume', 3)]


def _service(url, root, log):
    conf = site_mod.make_conf(root, owner_ttl=30.0)
    site = site_mod.Site.__new__(site_mod.Site)
    site.root = str(root)
    nodes = [agent.NodeAgent(host, site.drivers(host))
             for host in site_mod.HOSTS]
    service = api.API(conf, nodes=nodes, db=engine.Database(url))
    hv = conductor_child.LoggedHypervisor(log)
    service.handlers.register('hv', hv.boot, hv.revert)
    return service


def _place(service, kind, count, consumer, listener=None):
    if kind == 'boot':
        return service.boot_instance(consumer, 'hv', size=SIZE, count=count,
                                     driver='raw', listener=listener)
    return service.create_volume(consumer, size=SIZE, count=count,
                                 driver='raw', listener=listener)


def _in_child(work):
    """Run ``work()`` in a forked process; return its exit status and
    what it wrote (JSON) to a pipe."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read)
        status = 1
        try:
            found = work()
            os.write(write, json.dumps(found).encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write)
    with os.fdopen(read) as pipe:
        text = pipe.read()
    _, status = os.waitpid(pid, 0)
    return status, json.loads(text) if text else None


def _events(url, root, log, kind, count, consumer):
    def work():
        seen = []
        service = _service(url, root, log)
        try:
            _place(service, kind, count, consumer,
                   lambda event: seen.append([event.kind, event.name,
                                              event.state]))
        finally:
            service.close()
        return seen
    status, seen = _in_child(work)
    assert status == 0
    return seen


def _killed_at(url, root, log, kind, count, consumer, index):
    def work():
        service = _service(url, root, log)
        seen = []

        def listener(event):
            seen.append(event)
            if len(seen) == index + 1:
                os.kill(os.getpid(), signal.SIGKILL)
        _place(service, kind, count, consumer, listener)
        return None  # the kill came after the placement ended
    status, _ = _in_child(work)
    return os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL


def _resume(url, root, log):
    def work():
        service = _service(url, root, log)
        try:
            return [[done.flow_id, done.consumer, done.placed,
                     None if done.placed else repr(done.outcome)]
                    for done in service.resume()]
        finally:
            service.close()
    status, found = _in_child(work)
    assert status == 0
    return found


def _census(site, consumer, count):
    """``'committed'`` or ``'clean'``; anything else fails."""
    held = site.allocations(consumer)
    names = [consumer] if count == 1 and not consumer.startswith('vm') \
        else None
    assert reservations.list_reservations(site.db, state='reserved') == []
    assert allocations.check(site.db) == []
    files = [name for found in site.files().values() for name in found
             if name.startswith(consumer)]
    if not held:
        assert files == []
        return 'clean'
    assert len(held) == count
    assert sorted(files) == sorted(a.volume for a in held)
    if names:
        assert files == names
    return 'committed'


@TWO_DATABASES
@pytest.mark.parametrize('kind,count', KINDS,
                         ids=['%s-%d' % kind for kind in KINDS])
def test_sigkill_at_every_boundary_then_a_fresh_process_resumes(
        database_url, db, tmp_path, kind, count):
    site = site_mod.Site(db, tmp_path)
    setup = _service(database_url, tmp_path, tmp_path / 'setup.log')
    setup.setup()
    setup.close()
    db.dispose()  # nothing of the parent's crosses a fork
    prefix = 'vm' if kind == 'boot' else 'vol'
    events = _events(database_url, tmp_path, tmp_path / 'events.log', kind,
                     count, '%s-ref' % prefix)
    assert len(events) >= 10, events
    outcomes = collections.Counter()
    for index, event in enumerate(events):
        consumer = '%s-k%02d' % (prefix, index)
        log = tmp_path / ('%s.log' % consumer)
        assert _killed_at(database_url, tmp_path, log, kind, count,
                          consumer, index), (index, event)
        resumed = _resume(database_url, tmp_path, log)
        assert [r for r in resumed if not r[2]] == [], (index, event,
                                                        resumed)
        assert [r[1] for r in resumed] in ([], [consumer])
        state = _census(site, consumer, count)
        outcomes[state] += 1
        if kind == 'boot' and state == 'committed':
            boots = [line.split() for line in open(log)
                     if line.startswith('boot')]
            assert 1 <= len(boots) <= 2, (index, event, boots)
        # Clear the site for the next kill.
        for held in site.allocations(consumer):
            allocations.free(db, ids=[held.id])
        for path in [os.path.join(site.path(h, 'raw'), name)
                     for h in site_mod.HOSTS
                     for name in os.listdir(site.path(h, 'raw'))
                     if name.startswith(consumer)]:
            os.unlink(path)
    # Killed before the first record: nothing happened; after it: the
    # placement was finished by the fresh process.
    assert outcomes['clean'] >= 1, outcomes
    assert outcomes['committed'] >= len(events) - 4, outcomes
