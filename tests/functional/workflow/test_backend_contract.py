# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""brick's flow records keep taskflow's persistence contract: taskflow's
own persistence tests (``PersistenceTestMixin``, from the installed
taskflow) run against :class:`brick.workflow.backend.Backend` on
SQLite, PostgreSQL and MariaDB."""

import unittest

import pytest
from taskflow import exceptions as tf_exceptions
from taskflow.persistence import models
from taskflow.tests.unit.persistence import base

from brick.db import engine
from brick.workflow import backend as backend_mod

NAMES = sorted(name for name in dir(base.PersistenceTestMixin)
               if name.startswith('test_'))


class _Contract(base.PersistenceTestMixin, unittest.TestCase):
    """The mixin's tests, one at a time, on the backend given."""

    __test__ = False  # run by the test below, once per database
    backend = None

    def _get_connection(self):
        return self.backend.get_connection()


def test_the_mixin_has_tests():
    # A taskflow that renamed or emptied the mixin must not make this
    # module pass silently.
    assert len(NAMES) >= 15, NAMES


@pytest.mark.parametrize('name', NAMES)
def test_taskflow_persistence_contract(db, name):
    case = _Contract(name)
    case.backend = backend_mod.Backend(db)
    getattr(case, name)()


def test_errors_are_taskflow_storage_failures(tmp_path):
    empty = engine.Database('sqlite:///%s' % (tmp_path / 'empty.sqlite'))
    try:
        conn = backend_mod.Backend(empty).get_connection()
        conn.validate()
        with pytest.raises(tf_exceptions.StorageFailure, match='no such'):
            conn.save_logbook(models.LogBook('b'))
        conn.upgrade()  # brick's migrations create the tables
        conn.save_logbook(models.LogBook('b'))
        conn.clear_all()
        assert list(conn.get_logbooks()) == []
    finally:
        empty.dispose()
