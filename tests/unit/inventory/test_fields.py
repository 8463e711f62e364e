# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
import pytest

from brick import exception
from brick.inventory import fields


def test_capacity_is_exact_and_never_negative():
    assert fields.capacity(100, 10, 1.0) == 90
    assert fields.capacity(100, 10, 1.5) == 135
    assert fields.capacity(10, 100, 2.0) == 0
    # Beyond 2**53 a float product would round up by a byte; this does not.
    big = 2 ** 60 + 1
    assert fields.capacity(big, 0, 1.0) == big
    assert fields.capacity(big, 0, 0.5) == big // 2
    assert fields.capacity(2 ** 62, 0, 8.0) == fields.MAX_SIZE


def _pool(**changes):
    return dict(fields.POOL_DEFAULTS, **changes)


def test_a_pool_is_checked_field_by_field():
    checked = fields.pool(_pool(tags=['b', 'a', 'b'], cost=2), 'pool x')
    assert checked['tags'] == ('a', 'b') and checked['cost'] == 2.0
    cases = [
        (dict(total=-1), exception.InvalidSize, 'total of pool x'),
        (dict(total=True), exception.InvalidSize, 'not an integer'),
        (dict(step=0), exception.InvalidSize, 'step of pool x'),
        (dict(max_unit=0), exception.InvalidSize, 'below min_unit'),
        (dict(allocation_ratio=float('nan')), exception.InvalidValue,
         'allocation_ratio'),
        (dict(cost=-1), exception.InvalidValue, 'cost'),
        (dict(tags=['a b']), exception.InvalidName, 'tag'),
        (dict(state='on'), exception.InvalidValue, 'enabled, disabled'),
        (dict(role='bad role'), exception.InvalidName, 'role'),
        (dict(size=1), exception.InvalidValue, "'size'"),
    ]
    for change, error, message in cases:
        with pytest.raises(error, match=message):
            fields.pool(_pool(**change), 'pool x')


def test_scope_needs_exactly_one_owner():
    assert fields.scope(None, 'r1', None, 'pool p') == ('rack', 'r1')
    with pytest.raises(exception.InvalidInput, match='got host, zone'):
        fields.scope('h', None, 'z', 'pool p')
    with pytest.raises(exception.InvalidName):
        fields.scope('bad host', None, None, 'pool p')
