# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The failure matrix of the placement workflow, against real file
pools and a real database: every flow ends committed, or with nothing
left behind (no file, no live reservation, no allocation)."""

import os

import pytest

from brick import drivers
from brick import exception
from brick import units
from brick.inventory import pools
from brick.inventory import reservations
from tests import conftest as suite
from tests.functional.workflow import fakes

SIZE = 8 * units.Mi


def test_boot_commits_and_releases_the_other_reservation(site):
    hv = fakes.Hypervisor()
    service = site.api(handlers={'hv': hv})
    events = []
    placed = service.boot_instance('vm1', 'hv', size=SIZE, count=2,
                                   driver='raw', listener=events.append)
    site.assert_committed(placed)
    assert (events[0].kind, events[0].state) == ('flow', 'RUNNING')
    assert (events[-1].kind, events[-1].state) == ('flow', 'SUCCESS')
    assert {e.flow_id for e in events} == {placed.flow_id}
    assert ('task', 'CommitTask', 'SUCCESS') in {
        (e.kind, e.name.rsplit('.', 1)[-1], e.state) for e in events}
    assert hv.running == {'vm1': placed.host}
    assert placed.boot == {'domain': 'vm1'}
    assert {v.host for v in placed.volumes} == {placed.host}
    info = placed.volumes[0].connection_info
    assert info['driver_volume_type'] == 'local'
    assert info['data']['device_path'] == placed.volumes[0].path
    # reserve_count 2: the runner-up was reserved, then released.
    assert len(reservations.list_reservations(
        site.db, state='released')) == 2


def test_qcow2_volume_from_flavor(site):
    suite.require_tool('qemu-img')
    service = site.api(handlers={'hv': fakes.Hypervisor()})
    placed = service.boot_instance(
        'vm1', 'hv', flavor={'brick:local_gb': '1', 'brick:driver': 'qcow2'})
    site.assert_committed(placed)
    assert placed.volumes[0].format == 'qcow2'
    assert placed.volumes[0].size == units.Gi


def test_no_candidate_raises_the_explanation(site):
    service = site.api(handlers={'hv': fakes.Hypervisor()})
    with pytest.raises(exception.NoValidHost) as caught:
        service.boot_instance('vm1', 'hv', size='1P', driver='raw')
    assert caught.value.explanation is not None
    assert 'not enough free space' in str(caught.value)
    site.assert_clean()


def test_reserve_conflict_goes_to_the_next_candidate(site):
    # A cache that is never refreshed after the first select: another
    # process's claims stay unseen, as between two refreshes.
    service = site.api(handlers={'hv': fakes.Hypervisor()},
                       reserve_count=1, refresh_interval=3600)
    probe = service.boot_instance('probe', 'hv', size=SIZE, driver='raw',
                                  hosts=['host3'])
    service.delete_volume(probe.volumes[0].name)  # host3 now ranks last
    for host in ('host1', 'host2'):
        fill(site.db, pools.find_pool(site.db, 'raw', host=host))
    placed = service.boot_instance('vm1', 'hv', size=SIZE, driver='raw')
    assert placed.host == 'host3'
    site.assert_committed(placed, others=['other'])


def fill(db, pool):
    """Claim all of *pool*'s free space, as another process would."""
    left, items = pool.free // pool.step * pool.step, []
    while left:
        chunk = min(left, pool.max_volume // pool.step * pool.step)
        items.append((pool.id, chunk, 'filler%d' % len(items)))
        left -= chunk
    reservations.claim(db, 'other', items)


def test_create_fails_on_first_host_then_next_reserved(site):
    bad = {}

    def replace():
        probe = site.api(handlers={'hv': fakes.Hypervisor()})
        placed = probe.boot_instance('probe', 'hv', size=SIZE, driver='raw')
        probe.delete_volume(placed.volumes[0].name)
        bad[placed.host] = fakes.FailingRawDriver(
            site.path(placed.host, 'raw'))
        return placed.host
    first = replace()
    hv = fakes.Hypervisor()
    service = site.api(replace={first: {'raw': bad[first]}},
                       handlers={'hv': hv})
    placed = service.boot_instance('vm1', 'hv', size=SIZE, driver='raw')
    assert bad[first].attempts == 1
    assert placed.host != first
    site.assert_committed(placed)
    assert site.path(first, 'raw') not in str(site.files())


def test_one_volume_of_two_fails_both_roll_back(site):
    replace = {host: {'raw': fakes.HalfFailingRawDriver(
        site.path(host, 'raw'))} for host in ('host1', 'host2', 'host3')}
    service = site.api(replace=replace, handlers={'hv': fakes.Hypervisor()},
                       attempts=2)
    with pytest.raises(exception.PlacementFailed):
        service.boot_instance('vm1', 'hv', size=SIZE, count=2, driver='raw')
    site.assert_clean()


def test_create_fails_everywhere(site):
    replace = {host: {'raw': fakes.FailingRawDriver(site.path(host, 'raw'))}
               for host in ('host1', 'host2', 'host3')}
    service = site.api(replace=replace, handlers={'hv': fakes.Hypervisor()})
    with pytest.raises((exception.PlacementFailed,
                        exception.NoValidHost)) as caught:
        service.boot_instance('vm1', 'hv', size=SIZE, driver='raw')
    # Every host was tried once, then excluded.
    assert sorted(d['raw'].attempts for d in replace.values()) == [1, 1, 1]
    assert isinstance(caught.value, exception.NoValidHost) or \
        'injected' in str(caught.value)
    site.assert_clean()


def test_boot_fails_once_then_another_host(site):
    hv = fakes.Hypervisor(fail=1)
    service = site.api(handlers={'hv': hv})
    placed = service.boot_instance('vm1', 'hv', size=SIZE, driver='raw')
    (_, failed_host), (_, booted_host) = hv.boots
    assert failed_host != booted_host == placed.host
    assert hv.reverts == [('vm1', failed_host)]
    site.assert_committed(placed)
    assert list(site.files()) == ['%s/raw' % placed.host]


def test_boot_fails_always(site):
    hv = fakes.Hypervisor(fail=-1)
    service = site.api(handlers={'hv': hv}, attempts=2)
    with pytest.raises(exception.PlacementFailed) as caught:
        service.boot_instance('vm1', 'hv', size=SIZE, driver='raw')
    assert 'injected boot failure' in str(caught.value)
    assert len(hv.boots) == 2
    assert len({host for _, host in hv.boots}) == 2
    assert len(hv.reverts) == 2
    site.assert_clean()


def test_volume_service_round_trip(site):
    service = site.api(handlers={'hv': fakes.Hypervisor()})
    vm = service.boot_instance('vm1', 'hv', size=SIZE, driver='raw')
    local = service.create_volume('vol1', size=SIZE,
                                  local_to_instance='vm1', driver='raw')
    assert local.host == vm.host
    near = service.create_volume('vol2', size=SIZE, near_volume='vol1',
                                 driver='raw')
    assert near.host == vm.host
    grown = service.extend_volume('vol1', 2 * SIZE)
    assert grown.size == 2 * SIZE
    assert sum(a.size for a in site.allocations('vol1')) == 2 * SIZE
    service.delete_volume('vol1')
    service.delete_volume('vol2')
    assert site.allocations('vol1') == site.allocations('vol2') == []
    assert list(site.files()) == ['%s/raw' % vm.host]
    with pytest.raises(exception.VolumeNotFound):
        service.delete_volume('vol1')


def test_a_volume_already_there_is_never_deleted(site):
    # host1 and host2 got a different vm1-disk1 since their last report
    # (a report would have adopted it, and the scheduler would have
    # avoided their fuller pools): creating there fails, and the
    # rollback must not take their volume with it.
    service = site.api(handlers={'hv': fakes.Hypervisor()})
    for host in ('host1', 'host2'):
        drivers.load('raw', pool='raw', path=site.path(host, 'raw')).create(
            'vm1-disk1', 4 * units.Mi)
    events = []
    placed = service.boot_instance('vm1', 'hv', size=SIZE, driver='raw',
                                   listener=events.append)
    assert placed.host == 'host3'
    assert [e.name.rsplit('.', 1)[-1] for e in events
            if e.state == 'FAILURE'][:1] == ['CreateVolumesTask']
    for host in ('host1', 'host2'):
        path = os.path.join(site.path(host, 'raw'), 'vm1-disk1')
        assert os.path.getsize(path) == 4 * units.Mi
    held = site.allocations('vm1')
    assert [(a.volume, a.size) for a in held] == [('vm1-disk1', SIZE)]


def test_a_resumed_create_skips_the_candidates_a_failed_try_released(site):
    """A process that failed on the first reserved candidate released it
    and died before the record said so: the resumed create goes on with
    the next one and leaves the first host alone."""
    from brick.workflow import tasks

    service = site.api(handlers={'hv': fakes.Hypervisor()})
    services = service.runner.services
    spec = tasks.build_spec({'args': {'size': SIZE, 'driver': 'raw'}},
                            'vm1')
    flow_id = '9d1c3bd8-58a3-4f39-9a52-3c1d7d2b8f00'
    attempt = {'number': 1, 'exclude_hosts': []}
    reserved = tasks.ReserveTask(2).execute(
        services, {}, 'vm1', ['vm1-disk1'], flow_id, attempt, False,
        spec=spec)
    assert len(reserved) == 2
    tasks.release(services, reserved[0])
    create = tasks.CreateVolumesTask()
    candidate, volumes = create.execute(services, reserved, ['vm1-disk1'],
                                        True)
    assert candidate == reserved[1]
    assert list(site.files()) == ['%s/raw' % reserved[1]['host']]
    create.revert(services, (candidate, volumes))
    tasks.ReserveTask(2).revert(services, reserved, flow_id, attempt)
    site.assert_clean()
