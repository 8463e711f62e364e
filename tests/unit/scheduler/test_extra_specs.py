# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The ``brick:`` extra-spec registry and the hint registry."""

import pathlib

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from brick import exception
from brick import units
from brick.scheduler import extra_specs
from brick.scheduler import request
from brick.scheduler import spec_docs
from brick.scheduler import spec_types

SPECS = extra_specs.EXTRA_SPECS
HINTS = extra_specs.HINTS
ROOT = pathlib.Path(__file__).parents[3]


def test_parses_typed_values():
    parsed = SPECS.parse({
        'brick:local_gb': '20', 'brick:count': '2', 'brick:driver':
        'lvm-thin, lvm', 'brick:thin': 'Yes', 'brick:tags': 'ssd,fast',
        'brick:locality': 'rack', 'brick:volume2_gb': '100',
        'hw:cpu_policy': 'dedicated', 'resources:DISK_GB': '0'})
    assert parsed.fields == {
        'size': 20 * units.Gi, 'count': 2, 'drivers': ('lvm', 'lvm-thin'),
        'thin': True, 'tags': ('fast', 'ssd'), 'locality': 'rack'}
    assert parsed.volumes == {2: {'size': 100 * units.Gi}}
    assert 'hw:cpu_policy' not in parsed.keys


def test_unknown_key_in_namespace_names_key_and_allowed():
    with pytest.raises(exception.InvalidValue) as info:
        SPECS.parse({'brick:local_db': '20'})
    message = str(info.value)
    assert "'brick:local_db'" in message
    assert 'brick:local_gb' in message and 'brick:volume{N}_gb' in message


@pytest.mark.parametrize('key,value,allowed', [
    ('brick:local_gb', '-1', 'from 0'),
    ('brick:local_gb', '20G', 'whole number of GiB'),
    ('brick:count', '17', 'from 1 to 16'),
    ('brick:locality', 'planet', 'one of host, rack, zone, any'),
    ('brick:locality_mode', 'maybe', 'required, preferred'),
    ('brick:thin', 'sometimes', 'true or false'),
    ('brick:driver', 'lvm thin', 'names of 1 to 63'),
    ('brick:tags', ',,', 'comma-separated list'),
    ('brick:format', 'vmdk', 'raw, qcow2, vdi'),
    ('brick:volume3_gb', '0', 'from 1'),
    ('brick:group_policy', 'spread', 'anti-affinity'),
])
def test_bad_value_names_key_value_and_allowed(key, value, allowed):
    with pytest.raises(exception.InvalidValue) as info:
        SPECS.parse({key: value})
    message = str(info.value)
    assert key in message and repr(value) in message and allowed in message


def test_volume_numbers_are_bounded():
    assert SPECS.lookup('brick:volume16_gb')[1] == 16
    for key in ('brick:volume17_gb', 'brick:volume0_gb', 'brick:volume01_gb',
                'brick:volumeN_gb'):
        with pytest.raises(exception.InvalidValue):
            SPECS.parse({key: '1'})


@pytest.mark.parametrize('specs', [None, {}, {'other:x': 'y'}])
def test_nothing_for_brick(specs):
    parsed = SPECS.parse(specs)
    assert parsed.fields == {} and parsed.volumes == {}


@pytest.mark.parametrize('specs', ['brick:local_gb=1', ['brick:count'], 3])
def test_not_a_mapping(specs):
    with pytest.raises(exception.InvalidValue):
        SPECS.parse(specs)


def test_key_that_is_not_a_string():
    with pytest.raises(exception.InvalidValue) as info:
        SPECS.parse({1: '2'})
    assert 'flavor extra spec key' in str(info.value)


def test_hints_ignore_unknown_and_check_known():
    parsed = HINTS.parse({'query': '[]', 'local_to_instance': 'vm-1',
                          'different_host': ['v1', 'v2']})
    assert parsed.fields == {'local_to_instance': 'vm-1',
                             'different_host': ('v1', 'v2')}
    with pytest.raises(exception.InvalidValue) as info:
        HINTS.parse({'locality': 'galaxy'})
    assert 'scheduler hint locality' in str(info.value)


def test_format_is_canonical():
    keys = SPECS.parse({'brick:thin': 'on', 'brick:tags': 'b,a,b',
                        'brick:local_gb': '+7'}).keys
    assert SPECS.format(keys) == {'brick:thin': 'true', 'brick:tags': 'a,b',
                                  'brick:local_gb': '7'}


# -- property tests ---------------------------------------------------------

_KEYS = st.one_of(
    st.sampled_from([name.replace('{N}', '2') for name in SPECS.names()]),
    st.text(max_size=20).map(lambda text: 'brick:' + text),
    st.text(max_size=20),
    st.integers(), st.none())
_VALUES = st.one_of(
    st.text(max_size=30), st.integers(), st.none(), st.booleans(),
    st.floats(allow_nan=True), st.lists(st.text(max_size=5), max_size=3),
    st.sampled_from(['0', '1', '16', '17', 'true', 'host', 'any', 'ssd,hdd',
                     'required', 'preferred', '-1', ' 3 ', '9' * 25]))


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(_KEYS, _VALUES, max_size=6))
def test_any_specs_give_a_value_or_a_brick_error(specs):
    for parse in (SPECS.parse, HINTS.parse):
        try:
            parse(specs)
        except exception.BrickException:
            pass


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_KEYS, _VALUES, max_size=6),
       st.dictionaries(st.sampled_from(HINTS.names() + ['x']), _VALUES,
                       max_size=4))
def test_any_request_gives_a_spec_or_a_brick_error(flavor, hints):
    try:
        request.build(flavor, hints)
    except exception.BrickException:
        pass


def _valid_value(key):
    kind = key.type
    if isinstance(kind, spec_types.Integer):
        upper = kind.maximum if kind.maximum is not None else 10 ** 6
        return st.integers(kind.minimum, min(upper, 10 ** 6)).map(str)
    if isinstance(kind, spec_types.Boolean):
        return st.sampled_from(['true', 'false', 'yes', 'no', '1', '0'])
    if isinstance(kind, spec_types.Choice):
        return st.sampled_from(kind.choices)
    word = st.from_regex(kind.word.pattern if isinstance(
        kind, spec_types.Words) else kind.pattern, fullmatch=True)
    if isinstance(kind, spec_types.Words):
        return st.lists(word, min_size=1, max_size=3).map(','.join)
    return word


@st.composite
def _valid_specs(draw):
    specs = {}
    for key in draw(st.lists(st.sampled_from(SPECS.keys), max_size=6)):
        number = draw(st.integers(1, spec_types.MAX_VOLUMES))
        specs[SPECS.full_name(key, number if key.numbered else None)] = \
            draw(_valid_value(key))
    return specs


@settings(max_examples=300, deadline=None)
@given(_valid_specs())
def test_valid_specs_round_trip(specs):
    parsed = SPECS.parse(specs)
    assert set(parsed.keys) == set(specs)
    again = SPECS.parse(SPECS.format(parsed.keys))
    assert again == parsed


# -- documentation ----------------------------------------------------------

def test_operator_docs_are_generated_from_the_registry():
    page = ROOT / 'doc' / 'source' / 'admin' / 'extra-specs.rst'
    assert page.read_text() == spec_docs.render(), (
        'regenerate: python -m brick.scheduler.spec_docs > %s' % page)
    for name in SPECS.names() + HINTS.names():
        assert '``%s``' % name in page.read_text()


def test_docs_directive_renders_in_sphinx(tmp_path):
    sphinx = pytest.importorskip('sphinx.application')
    source = tmp_path / 'src'
    source.mkdir()
    (source / 'conf.py').write_text(
        "extensions = ['brick.scheduler.spec_docs']\n")
    (source / 'index.rst').write_text(
        'Specs\n=====\n\n.. brick-extra-specs::\n')
    from sphinx.util import docutils

    # docutils keeps directives in process-wide registries: without a
    # namespace of its own, a later Sphinx app in this process (the docs
    # build test) warns that they are "already registered".
    with docutils.docutils_namespace():
        app = sphinx.Sphinx(str(source), str(source), str(tmp_path / 'out'),
                            str(tmp_path / 'doctrees'), 'text',
                            status=None, warningiserror=True)
        app.build()
    text = (tmp_path / 'out' / 'index.txt').read_text()
    assert 'brick:volume{N}_gb' in text and 'local_to_instance' in text
