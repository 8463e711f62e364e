# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The ``[brick_database]`` group: where inventory and reservations live."""

import os

from oslo_config import cfg

import brick.conf

GROUP = cfg.OptGroup(
    'brick_database',
    title='Inventory database',
    help='The database holding hosts, pools, reservations and allocations.')

SQLITE_FILE = 'brick.sqlite'

OPTS = [
    cfg.StrOpt(
        'connection',
        secret=True,
        sample_default='sqlite:///$data_dir/brick.sqlite',
        help="""
SQLAlchemy URL of the inventory database.  Unset means an SQLite file,
``brick.sqlite`` in ``[brick]data_dir``: enough for one process on one
host.  Several processes on several hosts share a PostgreSQL
(``postgresql+psycopg2://user:pass@host/brick``) or MariaDB/MySQL
(``mysql+pymysql://user:pass@host/brick?charset=utf8mb4``) database.
Create the schema with ``brick db upgrade``.
"""),
    cfg.IntOpt(
        'claim_retries',
        default=5,
        min=0,
        help="""
How many more times a claim, commit or release is tried, each time in a
fresh transaction, after the database reported a deadlock, a lock
timeout or a serialization failure.  A pool that is full is never
retried: the caller should try another pool.  See
``[brick_database]lock_timeout``.
"""),
    cfg.FloatOpt(
        'claim_retry_interval',
        default=0.01,
        min=0,
        help="""
Seconds of the first back-off after a database conflict; each later
retry waits a random time up to twice as long as the one before, at
most one second.
"""),
    cfg.IntOpt(
        'reservation_ttl',
        default=600,
        min=1,
        help="""
Seconds a reservation holds its capacity before it expires and the reaper
releases it.  It must cover the time from reserving to committing:
creating the volume and booting the instance.  Too long keeps space from
a crashed placement away from others for that long.
"""),
    cfg.FloatOpt(
        'lock_timeout',
        default=10.0,
        min=0.001,
        help="""
Seconds a statement waits for a row or database lock before it fails
(SQLite ``busy_timeout``, PostgreSQL ``lock_timeout``, MariaDB
``innodb_lock_wait_timeout``, rounded up to whole seconds).  A
timed-out claim is retried up to ``[brick_database]claim_retries``
times.
"""),
    cfg.IntOpt(
        'pool_size',
        default=5,
        min=1,
        help="""
Connections each process keeps open to the database (SQLite files
too: each thread of a process needs its own connection).
"""),
    cfg.IntOpt(
        'max_overflow',
        default=10,
        min=0,
        help="""
Connections a process may open beyond ``[brick_database]pool_size`` under
load; they are closed when returned.
"""),
    cfg.IntOpt(
        'pool_timeout',
        default=30,
        min=1,
        help="""
Seconds to wait for a free connection when ``pool_size`` plus
``max_overflow`` connections are in use.
"""),
    cfg.IntOpt(
        'connect_timeout',
        default=10,
        min=1,
        help='Seconds to wait for a database server to accept a connection.'),
]


def register_opts(conf):
    brick.conf.register_group(conf, GROUP, OPTS)


def list_opts():
    return {GROUP: OPTS}


def connection_url(conf):
    """Return the database URL, defaulting to a file in ``data_dir``.

    The default is computed here, at use time, so that a data_dir set
    after registration (or on the command line) is honoured.

    :param conf: a ``ConfigOpts`` with the ``[brick]`` and
        ``[brick_database]`` groups registered.
    :returns: an SQLAlchemy URL string.
    """
    if conf.brick_database.connection:
        return conf.brick_database.connection
    path = os.path.join(os.path.abspath(conf.brick.data_dir), SQLITE_FILE)
    return 'sqlite:///' + path
