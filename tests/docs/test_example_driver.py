# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The example driver of doc/source/contributor/drivers.rst keeps the
driver contract, and the example filter and weigher do what the page
says."""

import importlib.util
import os
import pathlib

import pytest

from tests.functional import contract

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / 'doc' / 'source' \
    / 'examples'


def _example(name):
    spec = importlib.util.spec_from_file_location(
        'brick_doc_example_%s' % name, EXAMPLES / ('%s.py' % name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sparse = _example('sparse_driver')


class TestSparseDriverContract(contract.DriverContract):

    @pytest.fixture
    def driver(self, tmp_path):
        driver = sparse.SparseDriver(pool='sparse', path=str(tmp_path / 'p'))
        driver.check()
        return driver

    @pytest.fixture
    def make_unmanaged(self, driver):
        def make(name, size):
            with open(os.path.join(driver.path, name), 'xb') as f:
                f.truncate(size)
        return make

    @pytest.fixture
    def host_state(self, driver):
        def state():
            return sorted((entry.name, entry.stat().st_size)
                          for entry in os.scandir(driver.path))
        return state


def test_constructor_touches_nothing(tmp_path):
    sparse.SparseDriver(path=str(tmp_path / 'nowhere'))
    assert not (tmp_path / 'nowhere').exists()


def test_filter_and_weigher_decide_as_the_page_says():
    from brick import exception
    from brick.scheduler import request
    from brick.scheduler import selector

    plugins = _example('fill_filter')
    chooser = selector.Selector(
        plugins.cluster(), filters=[plugins.FillLimitFilter()],
        weighers=[plugins.RoleWeigher()])
    assert chooser.select(request.build(size='1G')).best.pools == (
        'host:h1/ssd',)
    decision = chooser.select(request.build(size='10G'))
    assert decision.best.pools == ('host:h2/hdd',)
    assert 'fill_limit' in decision.explanation.why('h1')
    with pytest.raises(exception.NoValidHost) as err:
        chooser.select(request.build(size='900G'))
    assert 'pool too full' in str(err.value)
