# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Recovery never takes a live flow, never runs one flow twice, resumes
the reserve step in a fresh process, and says whose flow it rolled back
(the four reports of the issue on flows that survive their process)."""

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from brick import exception
from brick import units
from brick.db import models
from tests import conftest as suite
from tests.functional.workflow import conductor_child
from tests.functional.workflow import site as site_mod

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
FORK = multiprocessing.get_context('fork')
SIZE = 8 * units.Mi
TWO_DATABASES = pytest.mark.parametrize(
    'database_url', [pytest.param(name, marks=pytest.mark.database(name))
                     for name in ('sqlite', 'postgresql')], indirect=True)
"""SQLite and PostgreSQL: the two this runs on (MariaDB runs the other
workflow tests)."""


def _flow_ids(db):
    with db.begin(readonly=True) as conn:
        return list(conn.scalars(sa.select(models.flow_details.c.uuid)))


@TWO_DATABASES
def test_a_live_flow_on_another_host_name_is_never_resumed(
        database_url, site, tmp_path):
    unshare = suite.require_tool('unshare')
    suite.require_root('unshare --uts gives the child another host name')
    flags = tmp_path / 'flags'
    flags.mkdir()
    child = subprocess.Popen(
        [unshare, '--uts', 'sh', '-c',
         'hostname brick-elsewhere && exec "$0" "$@"', sys.executable,
         '-m', 'tests.functional.workflow.slow_child', database_url,
         str(tmp_path), str(flags)], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (flags / 'started').exists():
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert (flags / 'started').read_text() == 'brick-elsewhere'
        (flow_id,) = _flow_ids(site.db)
        # No boot handler here: taking the flow would roll it back and
        # delete the volume under the booting instance.
        service = site.api(owner_ttl=2.0)
        time.sleep(2.5)  # longer than its lease: only the heartbeat counts
        assert service.runner.unfinished() == []
        assert service.resume() == []
        with pytest.raises(exception.FlowBusy, match='alive'):
            service.resume(flow_id)
        # Seen from another machine (no pid to check), its lease alone
        # keeps it.
        with site.db.begin() as conn:
            conn.execute(models.flow_owners.update().values(
                host='elsewhere', machine='another-machine/1'))
        assert service.runner.unfinished() == []
        assert len(site.files()) == 1
        (flags / 'release').touch()
        _out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    (placed,) = site.allocations('vm-slow')
    assert site.live() == [] and _flow_ids(site.db) == []
    assert list(site.files().values()) == [['vm-slow-disk1']]
    service.close()


def _crashed_boot(database_url, root, instance):
    """A boot killed (SIGKILL) in its handler, after the volume was
    created; returns when the process is dead."""
    def work():
        from brick.db import engine
        site = site_mod.Site(engine.Database(database_url), root)
        api = site.api(handlers={'hv': lambda *a: os.kill(
            os.getpid(), signal.SIGKILL)})
        api.boot_instance(instance, 'hv', size=SIZE, driver='raw')
        os._exit(1)  # not reached
    process = FORK.Process(target=work)
    process.start()
    process.join(120)
    assert process.exitcode == -signal.SIGKILL


def _resumer(database_url, root, log, barrier, results):
    from brick.db import engine
    hv = conductor_child.LoggedHypervisor(log, slow=0.3)
    site = site_mod.Site(engine.Database(database_url), root)
    service = site.api(handlers={'hv': hv.boot})
    barrier.wait(60)
    found = [(done.flow_id, done.placed, type(done.outcome).__name__)
             for done in service.resume()]
    service.close()
    results.put(found)


@TWO_DATABASES
@pytest.mark.parametrize('attempt', range(3))
def test_two_resumers_on_one_host_run_a_flow_once(database_url, db,
                                                   tmp_path, attempt):
    site = site_mod.Site(db, tmp_path)
    site.api()  # report the pools' capacity
    site.close()
    db.dispose()
    _crashed_boot(database_url, tmp_path, 'vm-twice')
    log = tmp_path / 'boots.log'
    barrier, results = FORK.Barrier(2), FORK.Queue()
    resumers = [FORK.Process(target=_resumer, args=(
        database_url, tmp_path, log, barrier, results)) for _ in range(2)]
    for process in resumers:
        process.start()
    found = [results.get(timeout=120) for _ in resumers]
    for process in resumers:
        process.join(60)
        assert process.exitcode == 0
    done = [item for items in found for item in items]
    assert [item for item in done if item[1]] and len(
        [item for item in done if item[1]]) == 1, done
    # The loser saw it taken (FlowBusy) or not at all; never taskflow's
    # NotFound, never a second run.
    assert {item[2] for item in done if not item[1]} <= {'FlowBusy'}, done
    boots = [line for line in log.read_text().splitlines()
             if line.startswith('boot')]
    assert len(boots) == 1, boots
    site.assert_committed(site_placed(site, 'vm-twice'))


def site_placed(site, consumer):
    """The consumer's volumes as a minimal Placement for the checks."""
    from brick import api
    held = site.allocations(consumer)
    volumes = []
    for allocation in held:
        host = next(h for h in site_mod.HOSTS if os.path.exists(
            os.path.join(site.path(h, 'raw'), allocation.volume)))
        volumes.append(api.VolumeInfo(
            allocation.volume, host, 'raw', allocation.pool_id,
            allocation.size, os.path.join(site.path(host, 'raw'),
                                          allocation.volume), 'raw', {}))
    return api.Placement('-', consumer, volumes[0].host, tuple(volumes))


def _cli(conf_path, *args):
    done = subprocess.run(
        [*suite.brick_command(), '--config-file', str(conf_path), *args,
         '-f', 'json'], cwd=ROOT, capture_output=True, text=True,
        timeout=120, check=False)
    return done.returncode, json.loads(done.stdout or '[]'), done.stderr


def _killed_in_reserve(database_url, root, kind, consumer):
    """A placement on host1 killed (SIGKILL) right after ReserveTask
    reserved its space, before that was recorded."""
    def work():
        from brick.db import engine
        site = site_mod.Site(engine.Database(database_url), root)
        api = site.api(handlers={'hv': lambda *a: None})

        def listener(event):
            if event.name.endswith('ReserveTask') and \
                    event.state == 'SUCCESS':
                os.kill(os.getpid(), signal.SIGKILL)
        if kind == 'boot':
            api.boot_instance(consumer, 'hv', size=SIZE, driver='raw',
                              hosts=['host1'], listener=listener)
        else:
            api.create_volume(consumer, size=SIZE, driver='raw',
                              hosts=['host1'], listener=listener)
        os._exit(1)
    process = FORK.Process(target=work)
    process.start()
    process.join(120)
    assert process.exitcode == -signal.SIGKILL


@TWO_DATABASES
def test_brick_flow_resume_finishes_a_flow_killed_in_the_reserve_step(
        database_url, db, tmp_path):
    site = site_mod.Site(db, tmp_path)
    site.api()
    site.close()
    db.dispose()
    conf = tmp_path / 'brick.conf'
    conf.write_text(
        '[brick]\ndata_dir = %s\n[brick_database]\nconnection = %s\n'
        '[brick_node]\nhost = host1\npools = raw\n'
        '[pool:raw]\ndriver = raw\npath = %s\n' % (
            tmp_path / 'cli', database_url, site.path('host1', 'raw')))
    # A volume flow: the fresh process finishes it.
    _killed_in_reserve(database_url, tmp_path, 'volume', 'vol-r')
    assert [r.consumer for r in site.live()] == ['vol-r']
    code, rows, err = _cli(conf, 'flow', 'resume')
    assert code == 0, err
    assert [(r['outcome'], r['consumer'], r['host']) for r in rows] == [
        ('committed', 'vol-r', 'host1')]
    code, live, err = _cli(conf, 'reservation', 'list', '--state',
                           'reserved')
    assert (code, live) == (0, []), err
    assert [a.volume for a in site.allocations('vol-r')] == ['vol-r']
    # A boot flow: no boot handler in a command line, so it rolls back,
    # and the row says whose it was.
    _killed_in_reserve(database_url, tmp_path, 'boot', 'vm-r')
    code, rows, err = _cli(conf, 'flow', 'resume')
    assert code == 3, err
    assert [(r['outcome'], r['consumer']) for r in rows] == [
        ('rolled back', 'vm-r')]
    assert 'HandlerNotFound' in err or 'boot handler' in rows[0]['error']
    code, live, err = _cli(conf, 'reservation', 'list', '--state',
                           'reserved')
    assert (code, live) == (0, []), err
    assert site.allocations('vm-r') == []
    assert site.files() == {'host1/raw': ['vol-r']}
    code, rows, err = _cli(conf, 'flow', 'resume')
    assert (code, rows) == (0, []), err
