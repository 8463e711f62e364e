# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Schema migrations, driven from code (there is no ``alembic.ini``).

>>> migration.upgrade(Database('sqlite:////var/lib/brick/brick.sqlite'))
>>> migration.current(db)
'0005'

Alembic's version table is ``brick_alembic_version``, so brick's tables
may share a database with a service's own Alembic-managed tables.
"""

import os

from alembic import command
from alembic import config as alembic_config
from alembic import migration as alembic_migration
from alembic import script as alembic_script
from alembic.autogenerate import compare_metadata

from brick.db import engine as engine_module

VERSION_TABLE = 'brick_alembic_version'
SCRIPTS = os.path.join(os.path.dirname(__file__), 'migrations')


def _database(db: engine_module.Database | str) -> engine_module.Database:
    if isinstance(db, engine_module.Database):
        return db
    return engine_module.Database(db)


def _config(connection):
    config = alembic_config.Config()
    config.set_main_option('script_location', SCRIPTS)
    config.attributes['connection'] = connection
    return config


def head():
    """The newest revision this brick ships."""
    scripts = alembic_script.ScriptDirectory.from_config(_config(None))
    return scripts.get_current_head()


def upgrade(db: engine_module.Database | str, revision: str = 'head'
            ) -> str | None:
    """Bring the schema of *db* up to *revision*; a no-op when it is.

    :param db: a :class:`~brick.db.engine.Database` or a URL.
    :param revision: an Alembic revision id, default the newest.
    :returns: the revision the database is at afterwards.
    """
    db = _database(db)
    with db.engine.begin() as conn:
        command.upgrade(_config(conn), revision)
    return current(db)


def current(db: engine_module.Database | str) -> str | None:
    """Return the revision *db* is at, or None for an empty database.

    :param db: a :class:`~brick.db.engine.Database` or a URL.
    """
    db = _database(db)
    with db.engine.connect() as conn:
        context = alembic_migration.MigrationContext.configure(
            conn, opts={'version_table': VERSION_TABLE})
        return context.get_current_revision()


def differences(db):
    """Compare the live schema of *db* with :mod:`brick.db.models`.

    :returns: Alembic's list of differences; empty when they match.
    """
    from brick.db import models

    db = _database(db)
    with db.engine.connect() as conn:
        context = alembic_migration.MigrationContext.configure(
            conn, opts={'version_table': VERSION_TABLE,
                        'compare_type': True})
        return list(compare_metadata(context, models.Base.metadata))
