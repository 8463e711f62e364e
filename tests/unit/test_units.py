# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
import pytest

from brick import exception
from brick import units


@pytest.mark.parametrize('text, expected', [
    (512, 512),
    ('512', 512),
    ('1K', 1024),
    ('10G', 10 * units.Gi),
    ('10g', 10 * units.Gi),
    ('10GiB', 10 * units.Gi),
    ('10 GiB', 10 * units.Gi),
    ('2T', 2 * units.Ti),
    ('10GB', 10 * 10**9),
    ('1mb', 10**6),
    ('3b', 3),
])
def test_parse(text, expected):
    assert units.parse(text) == expected


@pytest.mark.parametrize('text', [
    '', 'G', '1.5G', '-1G', '10X', '10 G B', '1e9', True, 1.5, None, '0x10',
])
def test_parse_rejects_what_is_not_a_size(text):
    with pytest.raises(exception.InvalidSize) as err:
        units.parse(text, 'volume size')
    assert 'volume size' in str(err.value)
    assert 'powers of 1024' in str(err.value)


@pytest.mark.parametrize('value, reason', [
    (0, 'not positive'),
    (-512, 'not positive'),
    (1.0, 'not an integer'),
    ('512', 'not an integer'),
    (True, 'not an integer'),
    (513, 'not aligned to 512 bytes (next aligned size: 1024)'),
    (2048, 'too large'),
])
def test_validate_names_the_rule(value, reason):
    with pytest.raises(exception.InvalidSize) as err:
        units.validate(value, 'volume size', step=512, maximum=1024)
    message = str(err.value)
    assert reason in message
    assert 'volume size' in message
    assert 'a multiple of 512' in message


def test_validate_returns_good_sizes():
    assert units.validate(1024, step=512) == 1024


def test_round_up_and_human():
    assert units.round_up(1, 512) == 512
    assert units.round_up(1024, 512) == 1024
    assert units.human(20 * units.Gi) == '20 GiB'
    assert units.human(units.Gi + units.Mi) == '1.00 GiB'
    assert units.human(1536) == '1.50 KiB'
    assert units.human(17) == '17 B'


def test_a_number_too_long_for_int_is_too_large():
    # int('9' * 5000) raises ValueError in Python 3.11, not a brick error.
    with pytest.raises(exception.InvalidSize, match='too large'):
        units.parse('9' * 5000 + 'G', 'volume size')


def test_validate_says_no_multiple_of_one_and_shows_units():
    with pytest.raises(exception.InvalidSize) as err:
        units.validate(0, 'size')
    assert str(err.value).endswith('allowed: a whole number of bytes from '
                                   '1 up.')
    with pytest.raises(exception.InvalidSize) as err:
        units.validate(units.Mi, 'size', step=4 * units.Mi,
                       minimum=4 * units.Mi)
    assert str(err.value).endswith(
        'from 4194304 (4 MiB) up, a multiple of 4194304 (4 MiB).')
