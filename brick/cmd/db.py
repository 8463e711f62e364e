# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``brick db upgrade`` and ``brick db version``: the inventory schema.

The database is ``[brick_database]connection`` (default: an SQLite file
in ``[brick]data_dir``), or ``--connection URL``.
"""

import contextlib

from brick import exception
from brick.cmd import common
from brick.db import engine
from brick.db import migration


def add_connection_argument(parser):
    """Add ``--connection URL`` (default: the configured database)."""
    parser.add_argument(
        '--connection', metavar='URL', default=None,
        help='SQLAlchemy URL of the inventory database; default '
             '[brick_database]connection, else brick.sqlite in the data '
             'dir')


def database(app, parsed_args):
    """The :class:`~brick.db.engine.Database` a command works on."""
    conf = app.conf
    if parsed_args.connection:
        conf.set_override('connection', parsed_args.connection,
                          group='brick_database')
    return engine.Database.from_conf(conf)


@contextlib.contextmanager
def inventory(app, parsed_args):
    """Open the inventory database for a command; dispose of it after.

    An empty embedded SQLite database gets its schema on first use, so
    that brick works with no configuration at all; any other database
    must have been brought up to date with ``brick db upgrade``.

    :raises brick.exception.InvalidInput: the schema is not the newest.
    """
    db = database(app, parsed_args)
    try:
        revision, head = migration.current(db), migration.head()
        if revision is None and db.backend == 'sqlite':
            revision = migration.upgrade(db)
        if revision != head:
            raise exception.InvalidValue(
                field='schema revision of %s' % db.safe_url,
                value=revision or 'empty',
                allowed="%s; run 'brick db upgrade'" % head)
        yield db
    finally:
        db.dispose()


class _DatabaseCommand(common.ShowOne):
    """A command about one database: ``--connection`` or the configured."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        add_connection_argument(parser)
        return parser


class Upgrade(_DatabaseCommand):
    """Create or upgrade the inventory schema to this brick's newest,
    the placement workflow's flow records included.

    Safe to repeat: an up-to-date database is left alone.  Run it from
    one process at a time: schema changes do not take turns.
    """

    def take_action(self, parsed_args):
        db = database(self.app, parsed_args)
        try:
            before = migration.current(db)
            after = migration.upgrade(db)  # flow records' tables too
        finally:
            db.dispose()
        return (('database', 'was', 'now', 'flow_records'),
                (db.safe_url, before or 'empty', after, 'up to date'))


class Version(_DatabaseCommand):
    """Show the schema revision of the database and the newest one."""

    def take_action(self, parsed_args):
        db = database(self.app, parsed_args)
        try:
            current = migration.current(db)
        finally:
            db.dispose()
        head = migration.head()
        return (('current', 'head', 'up_to_date'),
                (current or 'empty', head, current == head))
