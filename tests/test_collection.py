# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The suite collects the same tests, in the same order, whatever the
hash seed.

pytest-xdist (``tools/test`` runs the suite with it) has every worker
collect the whole suite and aborts when two workers' lists differ, and
each worker has a hash seed of its own.  A test list built by iterating a
set or a frozenset (of test names, plugins, files...) changes order with
the seed; sort it, or keep it in a list or a dict.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Under these two seeds a two-name frozenset of the driver contract's
# DEVICE_TESTS iterated in opposite orders: this test failed on that.
SEEDS = ('1', '5')


def _collect(seed):
    # Nothing of the calling run (its options, an xdist worker's
    # variables) may leak into the child's collection.
    env = {name: value for name, value in os.environ.items()
           if not name.startswith('PYTEST_')}
    env['PYTHONHASHSEED'] = seed
    return subprocess.Popen(
        [sys.executable, '-m', 'pytest', '--collect-only', '-q',
         '-p', 'no:cacheprovider', '--rootdir', str(ROOT),
         str(ROOT / 'tests')],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)


@pytest.mark.slow
def test_collection_does_not_depend_on_the_hash_seed():
    children = [_collect(seed) for seed in SEEDS]  # in parallel
    lists = []
    for seed, child in zip(SEEDS, children, strict=True):
        output, _ = child.communicate(timeout=600)
        assert child.returncode == 0, 'PYTHONHASHSEED=%s:\n%s' % (seed,
                                                                   output)
        lists.append([line for line in output.splitlines() if '::' in line])
    first, second = lists
    assert 'tests/test_collection.py::%s' % (
        test_collection_does_not_depend_on_the_hash_seed.__name__) in first
    assert len(first) == len(set(first)), 'node ids must be unique'
    if first != second:
        at = next((index for index, (a, b) in enumerate(
            zip(first, second, strict=False)) if a != b),
            min(len(first), len(second)))
        pytest.fail('PYTHONHASHSEED=%s and %s collect different lists; '
                    'first difference at #%d:\n  %s\n  %s' % (
                        SEEDS[0], SEEDS[1], at, _at(first, at),
                        _at(second, at)))


def _at(nodeids, index):
    return nodeids[index] if index < len(nodeids) else '(end of the list)'
