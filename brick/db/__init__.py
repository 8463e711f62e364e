# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""brick's inventory database: engine, tables and migrations.

* :mod:`brick.db.engine`: :class:`~brick.db.engine.Database`, an engine
  per URL with the settings each backend needs, and the one retry loop
  (fresh transaction per attempt) that every writer uses.
* :mod:`brick.db.models`: the tables, as SQLAlchemy declarative classes.
* :mod:`brick.db.migration`: ``upgrade(url)`` and ``current(url)``
  (Alembic, no ``alembic.ini``).

What the rows mean and how they change lives in :mod:`brick.scheduler`.
"""
