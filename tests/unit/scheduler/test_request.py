# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Building a RequestSpec from arguments, hints and flavor extra specs."""

import pytest

from brick import exception
from brick import units
from brick.scheduler import request

G = units.Gi


def test_flavor_alone():
    spec = request.build({'brick:local_gb': '20', 'brick:driver': 'lvm',
                          'brick:locality': 'rack',
                          'brick:locality_mode': 'preferred'})
    assert spec.volumes == (request.VolumeRequest(20 * G, ('lvm',)),)
    assert (spec.locality, spec.locality_mode, spec.locality_max) == (
        'rack', 'preferred', 'any')
    assert spec.tier == 1 and spec.widest_tier == 3
    assert spec.origin['locality'] == 'flavor'


def test_precedence_arguments_then_hints_then_flavor():
    spec = request.build(
        {'brick:local_gb': '20', 'brick:locality': 'zone',
         'brick:tags': 'hdd', 'brick:forbidden_tags': 'slow'},
        {'locality': 'rack', 'tags': 'ssd'},
        size='50G', locality='host')
    assert spec.locality == 'host'
    assert spec.origin['locality'] == 'argument'
    assert spec.volumes[0].size == 50 * G
    assert spec.volumes[0].tags == {'ssd'}
    assert spec.volumes[0].forbidden_tags == {'slow'}
    assert spec.origin['tags'] == 'hint'
    assert spec.origin['volumes'] == 'argument'


def test_numbered_volumes():
    spec = request.build({
        'brick:count': '3', 'brick:local_gb': '10', 'brick:tags': 'any',
        'brick:volume1_gb': '50', 'brick:volume1_tags': 'ssd',
        'brick:volume3_driver': 'qcow2', 'brick:volume3_thin': 'true'})
    sizes = [vol.size for vol in spec.volumes]
    assert sizes == [50 * G, 10 * G, 10 * G]
    assert [vol.tags for vol in spec.volumes] == [
        {'ssd'}, {'any'}, {'any'}]
    assert spec.volumes[2].drivers == ('qcow2',) and spec.volumes[2].thin


def test_count_defaults_to_the_highest_volume_number():
    spec = request.build({'brick:volume1_gb': '1', 'brick:volume2_gb': '2'})
    assert [vol.size for vol in spec.volumes] == [1 * G, 2 * G]


def test_a_volume_without_a_size():
    with pytest.raises(exception.InvalidValue) as info:
        request.build({'brick:volume2_gb': '5'})
    assert 'size of volume 1' in str(info.value)
    assert 'brick:volume1_gb' in str(info.value)


def test_volume_number_beyond_count():
    with pytest.raises(exception.InvalidValue) as info:
        request.build({'brick:count': '1', 'brick:local_gb': '1',
                       'brick:volume2_tags': 'x'})
    assert 'brick:volume2_*' in str(info.value)
    assert 'up to brick:count (1)' in str(info.value)


def test_zero_means_no_local_storage():
    assert request.build({'brick:local_gb': '0'}).volumes == ()
    assert request.build({}).volumes == ()
    assert request.build(None, {'locality': 'rack'}).volumes == ()


def test_explicit_size_overrides_the_flavor_sizes():
    spec = request.build({'brick:count': '2', 'brick:volume1_gb': '5'},
                         size=7 * G)
    assert [vol.size for vol in spec.volumes] == [7 * G, 7 * G]


def test_explicit_volumes_replace_everything():
    spec = request.build({'brick:local_gb': '5'}, volumes=[
        {'size': G, 'drivers': 'lvm', 'name': 'root'},
        request.VolumeRequest(2 * G, format='qcow2')])
    assert [vol.size for vol in spec.volumes] == [G, 2 * G]
    assert spec.volumes[0].drivers == ('lvm',)


@pytest.mark.parametrize('args,field', [
    ({'size': '20X'}, 'size'),
    ({'size': 0}, 'size'),
    ({'locality': 'moon'}, 'argument locality'),
    ({'colour': 'red'}, 'request argument'),
    ({'count': 0}, 'argument count'),
    ({'hosts': ['bad name']}, 'host name'),
    ({'volumes': [{'size': G, 'wheels': 4}]}, 'volume'),
    ({'volumes': [{'drivers': 'lvm'}]}, 'with size'),
])
def test_bad_arguments(args, field):
    with pytest.raises(exception.InvalidInput) as info:
        request.build({'brick:local_gb': '1'}, **args)
    assert field in str(info.value)


def test_locality_max_narrower_than_locality():
    with pytest.raises(exception.InvalidValue) as info:
        request.build({'brick:local_gb': '1', 'brick:locality': 'rack',
                       'brick:locality_mode': 'preferred',
                       'brick:locality_max': 'host'})
    assert 'locality_max' in str(info.value)
    assert 'rack, zone, any' in str(info.value)


def test_volume_request_checks():
    with pytest.raises(exception.InvalidSize):
        request.VolumeRequest(-1)
    with pytest.raises(exception.InvalidValue):
        request.VolumeRequest(G, drivers=('two words',))
    with pytest.raises(exception.InvalidValue):
        request.VolumeRequest(G, format='vmdk')
    with pytest.raises(exception.InvalidValue):
        request.VolumeRequest(G, tags='a b')
    assert request.VolumeRequest(G, drivers='lvm').drivers == ('lvm',)


def test_request_spec_volume_limit_is_checked():
    with pytest.raises(exception.InvalidValue) as info:
        request.RequestSpec(max_volumes_per_host=0)
    assert 'max_volumes_per_host' in str(info.value)
    assert request.RequestSpec(max_volumes_per_host=3).max_volumes_per_host \
        == 3


def test_arguments_allow_what_the_extra_specs_allow():
    flavor = {'brick:local_gb': '1', 'brick:max_volumes_per_host': '100001'}
    with pytest.raises(exception.InvalidValue) as from_flavor:
        request.build(flavor)
    with pytest.raises(exception.InvalidValue) as from_argument:
        request.build(size=G, max_volumes_per_host=100001)
    assert from_flavor.value.kwargs['allowed'] == \
        from_argument.value.kwargs['allowed']


def test_pairing_fields():
    spec = request.build({'brick:local_gb': '1'}, {
        'local_to_instance': 'vm-1', 'different_host': 'v1,v2',
        'same_host': ['v3']}, near_volume='v4', exclude_hosts=['h9'])
    assert spec.local_to_instance == 'vm-1'
    assert spec.different_host == ('v1', 'v2')
    assert spec.same_host == ('v3',)
    assert spec.near_volume == 'v4'
    assert spec.exclude_hosts == {'h9'}
    summary = spec.summary()
    assert 'local_to_instance vm-1' in summary and 'away from v1,v2' in summary
