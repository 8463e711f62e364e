# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Alembic environment: runs on the connection brick.db.migration hands
in (``config.attributes['connection']``); there is no offline mode."""

from alembic import context

from brick.db import migration
from brick.db import models

connection = context.config.attributes['connection']
context.configure(
    connection=connection,
    target_metadata=models.Base.metadata,
    version_table=migration.VERSION_TABLE,
    render_as_batch=connection.dialect.name == 'sqlite',
    transaction_per_migration=True)
with context.begin_transaction():
    context.run_migrations()
