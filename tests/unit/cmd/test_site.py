# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""A site of shared pools answers with no extra flags
(``examples/inventories/shared-site.yaml``: twenty hypervisors in two
racks of one zone, five SSD targets of different costs, ten slow
targets, one Ceph pool tagged ``distributed``, all shared by the zone),
and hostile ``place`` / ``flavor validate`` input is refused."""

import pathlib

import pytest

from tests.unit.cmd import run

SITE = pathlib.Path(__file__).resolve().parents[3] / 'examples' / \
    'inventories' / 'shared-site.yaml'


@pytest.fixture
def brick(capsys, tmp_path):
    url = 'sqlite:///%s' % (tmp_path / 'site.sqlite')

    def brick(*argv):
        return run(capsys, *argv, '--connection', url)
    done = brick('inventory', 'apply', '-f', str(SITE))
    assert done.code == 0, done.stderr
    return brick


def _pools(done):
    return [c['pools'][0] for c in done.json()]


def test_cheapest_ssd_that_fits(brick):
    # ssd-a (cost 5) is too small for 50G: ssd-b (cost 7) it is, then
    # the dearer ones in cost order; each pool once.
    found = brick('place', '--size', '50G', '--tags', 'ssd', '-f', 'json')
    assert _pools(found) == ['zone:dc1/ssd-b', 'zone:dc1/ssd-c',
                             'zone:dc1/ssd-d', 'zone:dc1/ssd-e']
    small = brick('place', '--size', '10G', '--tags', 'ssd', '-f', 'json')
    assert _pools(small)[0] == 'zone:dc1/ssd-a'


def test_ceph_for_distributed(brick):
    found = brick('place', '--size', '50G', '--tags', 'distributed', '-f',
                  'json')
    assert _pools(found) == ['zone:dc1/ceph']


def test_an_hdd_when_ssd_and_distributed_are_forbidden(brick):
    found = brick('place', '--size', '50G', '--forbidden-tags',
                  'ssd,distributed', '-f', 'json')
    pools = _pools(found)
    assert pools[0] == 'zone:dc1/hdd-05'            # the cheapest
    assert len(pools) == len(set(pools)) == 5
    assert all(p.startswith('zone:dc1/hdd-') for p in pools)


def test_capacity_error_names_the_pools(brick):
    done = brick('place', '--size', '100T', '--tags', 'ssd')
    assert (done.code, done.stdout) == (4, '')
    assert 'capacity removed 5 of 5 pools: zone:dc1/ssd-a, zone:dc1/ssd-b,' \
        ' zone:dc1/ssd-c, zone:dc1/ssd-d, zone:dc1/ssd-e (not enough free ' \
        'space x5' in done.stderr


def test_unknown_tag_points_at_the_tag_filter(brick):
    done = brick('place', '--size', '50G', '--tags', 'nvme')
    assert done.code == 4
    assert 'the tags filter removed every pool: no pool of the inventory ' \
        'carries tag nvme (tags in use: distributed, hdd, iscsi, ssd)' in \
        done.stderr
    assert 'indexes' not in done.stderr


def test_a_narrow_locality_says_which_wider_one_fits(brick):
    done = brick('place', '--size', '50G', '--tags', 'ssd', '--on-host',
                 'hv01')
    assert done.code == 4
    assert '4 pool(s) would fit at locality zone: allow it with ' \
        'brick:locality=zone' in done.stderr


def test_availability_zone_and_rack(brick):
    found = brick('place', '--size', '50G', '--tags', 'ssd', '--hint',
                  'availability_zone=dc1', '-f', 'json')
    assert _pools(found)[0] == 'zone:dc1/ssd-b'
    option = brick('place', '--size', '50G', '--availability-zone', 'dc1',
                   '--tags', 'distributed', '-f', 'json')
    assert _pools(option) == ['zone:dc1/ceph']
    unknown = brick('place', '--size', '50G', '--hint',
                    'availability_zone=dc9')
    assert unknown.code == 3
    assert "availability zone 'dc9': no host of the inventory is in it; " \
        "zones: dc1" in unknown.stderr
    # A pool shared by the zone is not in a rack.
    rack = brick('place', '--size', '50G', '--property', 'brick:rack=ra')
    assert rack.code == 4
    assert 'no pool of the inventory is in rack ra (a pool shared by a ' \
        'whole zone is in no rack)' in rack.stderr


def test_unknown_on_host_is_not_found(brick):
    done = brick('place', '--size', '10G', '--on-host', 'compute-99')
    assert done.code == 3
    assert 'compute-99' in done.stderr


def test_consumer_longer_than_a_claim_allows(brick):
    done = brick('place', '--size', '10G', '--consumer', 'x' * 10000)
    assert done.code == 2
    assert '(10000 characters)' in done.stderr
    assert 'x' * 100 not in done.stderr
    assert 'an id of 1 to 255 characters' in done.stderr
    assert brick('place', '--size', '10G', '--consumer', 'x' * 255,
                 '-f', 'json').code == 0


@pytest.mark.parametrize('specs,error', [
    (['brick:local_gb=10', 'brick:tags=ssd', 'brick:forbidden_tags=ssd'],
     'brick:tags and brick:forbidden_tags contradict each other on ssd'),
    (['brick:local_gb=10', 'brick:volume1_tags=ssd',
      'brick:volume1_forbidden_tags=hdd,ssd'],
     'contradict each other on ssd'),
    (['brick:local_gb=10', 'brick:driver=zfs'],
     "Unknown volume driver 'zfs'; available drivers: lvm, lvm-thin, "),
])
def test_flavor_validate_refuses_contradictions(capsys, specs, error):
    done = run(capsys, 'flavor', 'validate', *specs)
    assert done.code in (2, 3) and done.stdout == ''
    assert error in done.stderr


def test_same_and_different_host_together(brick):
    done = brick('place', '--size', '10G', '--same-host', 'v1',
                 '--different-host', 'v1,v2')
    assert done.code == 2
    assert 'with and away from v1 at once' in done.stderr
