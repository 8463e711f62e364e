# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
import pytest

from brick import exception
from brick import names


@pytest.mark.parametrize('name', [
    'vol1', 'a', '0', 'instance-0001_disk.0', 'x+y', 'A' * names.MAX_LENGTH,
    'b1f3c2a8-5d0e-4c47-9a57-01d7d5f2e1a7.ext.disk0',
])
def test_valid_names_pass_unchanged(name):
    assert names.validate(name) == name


@pytest.mark.parametrize('name, reason', [
    ('', 'empty'),
    ('a/b', 'bad character'),
    ('../etc', 'bad character'),
    ('a..b', 'contains ".."'),
    ('with space', 'bad character'),
    ('$(reboot)', 'bad character'),
    ('a;b', 'bad character'),
    ('-rf', 'bad character'),
    ('.hidden', 'bad character'),
    ('A' * (names.MAX_LENGTH + 1), 'longer than'),
    ('snapshot1', 'reserved by LVM'),
    ('vol_tmeta', 'reserved by LVM'),
    ('pvmove0', 'reserved by LVM'),
    ('tab\there', 'bad character'),
    ('new\nline', 'bad character'),
])
def test_bad_names_name_field_value_and_rule(name, reason):
    with pytest.raises(exception.InvalidName) as err:
        names.validate(name, 'volume name')
    message = str(err.value)
    assert 'volume name' in message
    assert repr(name) in message
    assert reason in message
    assert 'allowed: 1 to 63 characters' in message


@pytest.mark.parametrize('value', [None, 7, b'vol', ['vol']])
def test_non_strings_are_rejected(value):
    with pytest.raises(exception.InvalidName, match='not a string'):
        names.validate(value)


def test_invalid_name_is_a_value_error_and_a_brick_error():
    with pytest.raises(ValueError):
        names.validate('a/b')
    with pytest.raises(exception.BrickException):
        names.validate('a/b')
