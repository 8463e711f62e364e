# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Alembic scripts of brick's schema; run through :mod:`brick.db.migration`.

A new revision: ``alembic -x url=... revision`` is not wired up; copy
``versions/0001_initial.py``, give it the next number, set
``down_revision``, and write the ``op`` calls by hand (autogenerate
output is a starting point, never the result).  SQLite needs
``op.batch_alter_table`` to change a column.
"""
