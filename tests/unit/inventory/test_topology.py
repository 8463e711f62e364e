# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
import pytest

from brick.inventory import topology

Place = topology.Place


@pytest.mark.parametrize('a,b,expected', [
    (Place('r', 'z1', 'k1', 'h1'), Place('r', 'z1', 'k1', 'h1'), 0),
    (Place('r', 'z1', 'k1', 'h1'), Place('r', 'z1', 'k1', 'h2'), 1),
    (Place('r', 'z1', 'k1', 'h1'), Place('r', 'z1', 'k2', 'h2'), 2),
    (Place('r', 'z1', 'k1', 'h1'), Place('r', 'z2', 'k3', 'h3'), 3),
    (Place('r1', 'z1'), Place('r2', 'z2'), 3),
    # A pool shared by a rack is one step from each host of the rack.
    (Place('r', 'z1', 'k1', 'h1'), Place('r', 'z1', 'k1', None), 1),
    (Place('r', 'z1', 'k1', 'h1'), Place('r', 'z1', None, None), 2),
    # Unknown levels never match: two hosts without racks are not in
    # "the same rack".
    (Place(None, 'z1', None, 'h1'), Place(None, 'z1', None, 'h2'), 2),
    (Place(), Place(), 3),
])
def test_distance_is_the_lowest_shared_level(a, b, expected):
    assert topology.distance(a, b) == expected
    assert topology.distance(b, a) == expected
