# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Hostile inventory files: refused with a clear error, in bounded time
and memory, before anything is built from them."""

import io
import resource
import subprocess

import pytest

from brick import exception
from brick.inventory import bounded_yaml
from brick.inventory import file as inventory_file
from tests.conftest import brick_command

SITE = 'zones: [{name: z1}]\nracks: [{name: r1, zone: z1}]\n'


def _bomb(levels=9, width=10):
    """A "billion laughs": *width* ** *levels* values in a few hundred
    bytes, all given as the name of a host (a scalar field)."""
    anchors = ['&l0 [%s]' % ', '.join(['lol'] * width)]
    for level in range(1, levels):
        anchors.append('&l%d [%s]' % (level, ', '.join(
            ['*l%d' % (level - 1)] * width)))
    return 'hosts:\n  - name: [%s]\n    rack: r1\n' % ', '.join(anchors)


def _limited():
    # What the test allows the child: far more than the fix needs, far
    # less than the 2.5 GB the bomb took without it.
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    resource.setrlimit(resource.RLIMIT_CPU, (60, 60))


def test_an_alias_bomb_in_a_scalar_field_is_refused(tmp_path):
    path = tmp_path / 'bomb.yaml'
    path.write_text(SITE + _bomb())
    done = subprocess.run(
        [*brick_command(), 'inventory', 'apply', '--dry-run', '-f',
         str(path), '--connection', 'sqlite:///%s' % (tmp_path / 'b.db')],
        capture_output=True, text=True, timeout=120, check=False,
        preexec_fn=_limited)
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.startswith('brick: Invalid input: %s, line ' % path)
    assert 'more than 1000000 values once its aliases are expanded' in \
        done.stderr
    assert len(done.stderr) < 500
    assert not (tmp_path / 'b.db').exists()


def test_a_smaller_bomb_is_within_bounds_and_its_error_is_short():
    # 10**5 values: allowed, but the error must not echo them all.
    with pytest.raises(exception.InvalidName) as caught:
        inventory_file.parse(SITE + _bomb(levels=5), 'small.yaml')
    message = str(caught.value)
    assert message.startswith("Invalid host name in small.yaml: hosts[0] "
                              "[['lol', 'lol', 'lol', 'lol', ...], [[...], ")
    assert '(5 items): not a string' in message
    assert len(message) < 600


@pytest.mark.parametrize('text,reason', [
    ('hosts: &x [*x]', 'line 1 is refused: an alias refers to a node '
                       'that contains it'),
    ('[' * 40 + ']' * 40, 'line 1 is refused: nested more than 32 '
                          'levels deep'),
    ('[' * 100000 + ']' * 100000, 'nested more than 32 levels deep'),
    ('a: &a [[[[[[[[[[x]]]]]]]]]]\nb: &b [[[[[[[[[[*a]]]]]]]]]]\n'
     'c: &c [[[[[[[[[[*b]]]]]]]]]]\nd: [[[[*c]]]]',
     'nested more than 32 levels deep, counting aliases'),
    ('zones: [{name: z1, name: z2}]', "duplicate key 'name'"),
    ('zones: [{name: z1}, {name: z1', 'is not valid YAML'),
])
def test_refusals_name_the_document_and_the_limit(text, reason):
    with pytest.raises(exception.InvalidInput, match='site.yaml') as caught:
        bounded_yaml.load(text, 'site.yaml')
    assert reason in str(caught.value)


def test_size_is_bounded_when_reading_too(monkeypatch):
    monkeypatch.setattr(bounded_yaml, 'MAX_CHARACTERS', 100)
    with pytest.raises(exception.InvalidInput,
                       match='<stdin> is larger than 100 characters'):
        bounded_yaml.read(io.StringIO('#' * 1000), '<stdin>')
    with pytest.raises(exception.InvalidInput, match='larger than 100'):
        bounded_yaml.load('#' * 101, 'f.yaml')
    assert bounded_yaml.read(io.StringIO('a: 1'), '<stdin>') == 'a: 1'


def test_aliases_and_merge_keys_still_work():
    wanted = inventory_file.parse(SITE + (
        'hosts: [{name: h1, rack: r1}]\n'
        'pools:\n'
        '  - &fast {name: fast, driver: raw, host: h1, cost: 5,\n'
        '           tags: [ssd]}\n'
        '  - {<<: *fast, name: fast2}\n'), 'merge.yaml')
    assert wanted.pools[('host', 'h1', 'fast2')]['cost'] == 5.0
    assert wanted.pools[('host', 'h1', 'fast2')]['tags'] == ('ssd',)


def test_many_pools_sharing_defaults_are_well_inside_the_limits():
    pools = ''.join('  - {<<: *d, name: p%d}\n' % index
                    for index in range(2000))
    text = SITE + 'hosts: [{name: h1, rack: r1}]\npools:\n' + \
        '  - &d {name: p, host: h1, driver: raw, tags: [a, b]}\n' + pools
    assert len(inventory_file.parse(text, 'many.yaml').pools) == 2001


def test_shown_values_are_cut_with_their_length():
    assert exception.shown('x' * 100000) == "'%s'... (100000 characters)" \
        % ('x' * exception.SHOWN_CHARACTERS)
    assert exception.shown(b'\0' * 1000).endswith('... (1000 bytes)')
    assert exception.shown(10 ** 10000) == 'an integer of 33220 bits'
    assert exception.shown(list(range(100))) == \
        '[0, 1, 2, 3, ...] (100 items)'
    assert exception.shown('vol-1') == "'vol-1'"
    err = exception.InvalidValue(field='pool', value='p' * 10 ** 6,
                                 allowed='a pool name')
    assert len(str(err)) < 300 and '(1000000 characters)' in str(err)
    assert err.kwargs['value'] == 'p' * 10 ** 6
    err = exception.BackendError(reason='r' * 5000)
    assert str(err).endswith('... (5000 characters).')
    err = exception.InsufficientCapacity(pool='p', requested=10,
                                         available=2)
    assert str(err) == ('Not enough space in pool p for 10 bytes: 2 bytes '
                        'available.')
