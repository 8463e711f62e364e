# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The workflow's functional tests run on the three databases of
``tests/functional/db`` (SQLite, PostgreSQL, MariaDB)."""

import pytest

from tests.functional.db.conftest import database_url  # noqa: F401
from tests.functional.db.conftest import db  # noqa: F401
from tests.functional.db.conftest import mysql_server  # noqa: F401
from tests.functional.db.conftest import postgresql_server  # noqa: F401
from tests.functional.workflow import site as site_mod


@pytest.fixture
def site(db, tmp_path):  # noqa: F811
    found = site_mod.Site(db, tmp_path)
    yield found
    found.close()
