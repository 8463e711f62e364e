# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Throwaway PostgreSQL and MariaDB servers for tests and benchmarks.

A server lives in its own temporary directory, listens on 127.0.0.1 on
a free port (and a unix socket in that directory), runs as a child
process of the caller and is waited for when stopped, because PID 1 on
CI machines does not reap orphans.  As root, PostgreSQL runs as the
``postgres`` user (initdb refuses root) and MariaDB with ``--user=root``.

Durability is off (``fsync=off``; ``innodb_flush_log_at_trx_commit=0``,
no doublewrite, no binlog): these databases hold test data only.

>>> with servers.start('postgresql') as server:
...     url = server.create_database('brick_test')

Used by ``tests/functional/db/conftest.py`` and ``bench/claims.py``;
imports nothing from brick.
"""

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import sqlalchemy as sa

START_TIMEOUT = 60
STOP_TIMEOUT = 30
ENV_URLS = {'postgresql': 'BRICK_TEST_POSTGRESQL_URL',
            'mysql': 'BRICK_TEST_MYSQL_URL'}


class Unavailable(Exception):
    """The server's programs are not installed."""

    def __init__(self, tool):
        super().__init__(tool)
        self.tool = tool


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def postgresql_bindir():
    """The directory of ``initdb`` and ``postgres``, or None."""
    found = shutil.which('initdb')
    if found and os.path.exists(os.path.join(os.path.dirname(found),
                                             'postgres')):
        return os.path.dirname(found)
    candidates = glob.glob('/usr/lib/postgresql/*/bin/initdb')
    candidates.sort(key=lambda path: int(path.split('/')[4])
                    if path.split('/')[4].isdigit() else 0)
    return os.path.dirname(candidates[-1]) if candidates else None


class Process:
    """A server process this process started, in its own temporary
    directory, logging to ``server.log`` there (shared with
    :class:`tests.functional.daemons.Daemon`)."""

    process = None
    basedir = None
    _log = None

    def _spawn(self, argv, ready, poll=0.05, **popen):
        """Start *argv* and wait until ``ready()`` is true; False if it
        exits first or is not ready within :data:`START_TIMEOUT`."""
        self._log = open(os.path.join(self.basedir, 'server.log'), 'ab')
        self.process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, **popen)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                return False
            if ready():
                return True
            time.sleep(poll)
        self._terminate()
        return False

    def log_tail(self, lines=30):
        """The end of the server's log, for error messages."""
        path = os.path.join(self.basedir or '', 'server.log')
        if not os.path.exists(path):
            return ''
        with open(path, errors='replace') as log:
            return ''.join(log.readlines()[-lines:])

    def _signal_stop(self):
        self.process.terminate()

    def _terminate(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            self._signal_stop()
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def stop(self):
        """Stop the process, wait for it and remove its directory."""
        try:
            self._terminate()
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None
            if self.basedir is not None:
                shutil.rmtree(self.basedir, ignore_errors=True)
                self.basedir = None


class Server:
    """A database server brick's tests may create databases on."""

    backend = None

    def __init__(self, admin_url):
        self.admin_url = sa.engine.make_url(admin_url)

    def url(self, database):
        """URL of *database* on this server, as a string."""
        return self.admin_url.set(database=database).render_as_string(
            hide_password=False)

    def _admin(self, statement):
        engine = sa.create_engine(self.admin_url,
                                  isolation_level='AUTOCOMMIT',
                                  poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql(statement)
        finally:
            engine.dispose()

    def create_database(self, name):
        """Create the empty database *name* and return its URL."""
        if self.backend == 'mysql':
            self._admin('CREATE DATABASE %s CHARACTER SET utf8mb4' % name)
        else:
            self._admin('CREATE DATABASE %s' % name)
        return self.url(name)

    def drop_database(self, name):
        """Drop *name*, closing other sessions on it (PostgreSQL)."""
        if self.backend == 'mysql':
            self._admin('DROP DATABASE IF EXISTS %s' % name)
        else:
            self._admin('DROP DATABASE IF EXISTS %s WITH (FORCE)' % name)

    def start(self):
        """Start the server; a no-op for a server someone else runs."""

    def stop(self):
        """Stop the server and wait for it; a no-op for an external one."""

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


class _Child(Process, Server):
    """A server process this process started."""

    def __init__(self, settings=None):
        self.settings = dict(settings or {})
        self.port = None
        super().__init__(self._url_for(0))

    def _url_for(self, port):
        raise NotImplementedError

    def _prepare(self):
        raise NotImplementedError

    def _command(self):
        raise NotImplementedError

    def _popen_user(self):
        return {}

    def start(self):
        self.basedir = tempfile.mkdtemp(prefix='brick-%s-' % self.backend)
        try:
            self._prepare()
            for _ in range(3):  # another process may take the port first
                self.port = free_port()
                self.admin_url = sa.engine.make_url(self._url_for(self.port))
                if self._launch():
                    return
            raise RuntimeError('%s did not start; log:\n%s' % (
                self.backend, self.log_tail()))
        except BaseException:
            self.stop()
            raise

    def _launch(self):
        return self._spawn(self._command(), self._answers, poll=0.1,
                           **self._popen_user())

    def _answers(self):
        try:
            self._admin('SELECT 1')
            return True
        except sa.exc.OperationalError:
            return False


class PostgreSQL(_Child):
    """``initdb`` + ``postgres`` in a temporary directory.

    :param settings: extra ``-c name=value`` server settings.
    """

    backend = 'postgresql'

    def __init__(self, settings=None, bindir=None):
        self.bindir = bindir or postgresql_bindir()
        if self.bindir is None:
            raise Unavailable('initdb')
        super().__init__(settings)

    def _url_for(self, port):
        return 'postgresql+psycopg2://postgres@127.0.0.1:%d/postgres' % port

    def _popen_user(self):
        if os.geteuid() != 0:
            return {}
        return {'user': 'postgres', 'group': 'postgres', 'extra_groups': []}

    def _prepare(self):
        if os.geteuid() == 0:
            owner = pwd.getpwnam('postgres')
            os.chown(self.basedir, owner.pw_uid, owner.pw_gid)
        subprocess.run(
            [os.path.join(self.bindir, 'initdb'), '-D', self._data(), '-A',
             'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync'],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, check=True, **self._popen_user())

    def _data(self):
        return os.path.join(self.basedir, 'data')

    def _command(self):
        settings = {'listen_addresses': '127.0.0.1', 'port': self.port,
                    'unix_socket_directories': self.basedir,
                    'fsync': 'off', 'full_page_writes': 'off',
                    'max_connections': 300}
        settings.update(self.settings)
        argv = [os.path.join(self.bindir, 'postgres'), '-D', self._data()]
        for name, value in settings.items():
            argv += ['-c', '%s=%s' % (name, value)]
        return argv

    def _signal_stop(self):
        # SIGTERM waits for clients to disconnect; SIGINT does not.
        self.process.send_signal(signal.SIGINT)


class MariaDB(_Child):
    """``mariadb-install-db`` + ``mariadbd`` in a temporary directory.

    Grant tables are skipped: anyone on loopback is root.

    :param settings: extra ``--name=value`` server options.
    """

    backend = 'mysql'

    def __init__(self, settings=None):
        self.install = shutil.which('mariadb-install-db') or shutil.which(
            'mysql_install_db')
        self.daemon = shutil.which('mariadbd') or shutil.which(
            'mysqld') or next((path for path in ('/usr/sbin/mariadbd',
                                                 '/usr/sbin/mysqld')
                               if os.path.exists(path)), None)
        if self.install is None or self.daemon is None:
            raise Unavailable('mariadb-install-db' if self.install is None
                              else 'mariadbd')
        super().__init__(settings)

    def _url_for(self, port):
        return 'mysql+pymysql://root@127.0.0.1:%d/mysql?charset=utf8mb4' % (
            port)

    def _user(self):
        return ['--user=root'] if os.geteuid() == 0 else []

    def _prepare(self):
        subprocess.run(
            [self.install, '--no-defaults', '--datadir=' + self._data(),
             '--skip-test-db', '--auth-root-authentication-method=normal']
            + self._user(), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)

    def _data(self):
        return os.path.join(self.basedir, 'data')

    def _command(self):
        settings = {
            'datadir': self._data(), 'port': self.port,
            'bind-address': '127.0.0.1',
            'socket': os.path.join(self.basedir, 'mysqld.sock'),
            'pid-file': os.path.join(self.basedir, 'mysqld.pid'),
            'tmpdir': self.basedir, 'max-connections': 300,
            'innodb-flush-log-at-trx-commit': 0, 'innodb-doublewrite': 0,
            'character-set-server': 'utf8mb4'}
        settings.update(self.settings)
        return ([self.daemon, '--no-defaults', '--skip-grant-tables',
                 '--skip-log-bin', '--skip-name-resolve']
                + ['--%s=%s' % item for item in settings.items()]
                + self._user())


class External(Server):
    """A server named by a URL (``BRICK_TEST_POSTGRESQL_URL``...)."""

    def __init__(self, url):
        super().__init__(url)
        backend = self.admin_url.get_backend_name()
        self.backend = 'mysql' if backend == 'mariadb' else backend


def create(backend, settings=None):
    """A :class:`Server` for *backend*, not started.

    The URL in ``BRICK_TEST_POSTGRESQL_URL`` or ``BRICK_TEST_MYSQL_URL``
    wins over a throwaway server.

    :raises Unavailable: the server programs are not installed.
    """
    url = os.environ.get(ENV_URLS[backend])
    if url:
        return External(url)
    if backend == 'postgresql':
        return PostgreSQL(settings)
    return MariaDB(settings)


@contextlib.contextmanager
def start(backend, settings=None):
    """Start a server for *backend* and stop it at the end."""
    server = create(backend, settings)
    server.start()
    try:
        yield server
    finally:
        server.stop()
