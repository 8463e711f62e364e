# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Throwaway Redis, etcd, ZooKeeper, RabbitMQ and pgbouncer servers.

The companions of :mod:`tests.functional.db.servers` (the databases) for
the tests of the multi-host pieces: liveness through tooz (Redis, etcd,
ZooKeeper), taskflow jobboards (Redis, ZooKeeper), oslo.messaging RPC
(RabbitMQ), and claims behind a connection pooler (pgbouncer).

Each server lives in its own temporary directory, listens on 127.0.0.1
on a free port only, runs as a child process of the caller and is waited
for when stopped (PID 1 here does not reap orphans).  Nothing is left
behind, also on failure.  Start-up on this machine kind: Redis 0.02 s,
etcd 0.3 s, ZooKeeper about 2 s, RabbitMQ about 7 s, pgbouncer 0.05 s.

>>> with daemons.start(daemons.Redis) as redis:
...     url = redis.url        # redis://127.0.0.1:PORT

Each class raises :class:`tests.functional.db.servers.Unavailable` from
its constructor when its program is not installed (``tools/setup-host``
installs them all).  Imports nothing from brick.
"""

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import urllib.request
import uuid

from tests.functional.db import servers

START_TIMEOUT = 60
STOP_TIMEOUT = 30


def _talk(port, send, timeout=0.5):
    """Send *send* to 127.0.0.1:*port* and return the first bytes of the
    answer ('' if nothing listens)."""
    try:
        with socket.create_connection(('127.0.0.1', port),
                                      timeout=timeout) as sock:
            sock.sendall(send)
            return sock.recv(64)
    except OSError:
        return b''


class Daemon(servers.Process):
    """One server process in a temporary directory.

    Subclasses say how to prepare the directory (:meth:`_prepare`), the
    command (:meth:`_command`) and when the server answers
    (:meth:`_ready`); :attr:`url` is what clients connect to.
    """

    name = None
    program = None
    """The program that must be installed (checked by the constructor)."""

    def __init__(self):
        if self.program is not None and not (
                shutil.which(self.program) or os.path.exists(self.program)):
            raise servers.Unavailable(self.program)
        self.port = None

    @property
    def url(self):
        raise NotImplementedError

    def _prepare(self):
        """Write what the server needs in :attr:`basedir`."""

    def _command(self):
        raise NotImplementedError

    def _ready(self):
        raise NotImplementedError

    def _env(self):
        return None

    def _popen_user(self):
        return {}

    def start(self):
        self.basedir = tempfile.mkdtemp(prefix='brick-%s-' % self.name)
        os.chmod(self.basedir, 0o755)
        try:
            for _ in range(3):  # another process may take the port first
                self.port = servers.free_port()
                self._prepare()
                if self._launch():
                    return self
            raise RuntimeError('%s did not start; log:\n%s' % (
                self.name, self.log_tail()))
        except BaseException:
            self.stop()
            raise

    def _launch(self):
        return self._spawn(self._command(), self._ready, env=self._env(),
                           cwd=self.basedir, **self._popen_user())

    # Freezing and killing, for fault tests.

    def pause(self):
        """SIGSTOP the server (it holds its connections but answers
        nothing) until :meth:`resume`."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self):
        self.process.send_signal(signal.SIGCONT)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class Redis(Daemon):
    """``redis-server`` without persistence."""

    name = 'redis'
    program = 'redis-server'

    @property
    def url(self):
        return 'redis://127.0.0.1:%d' % self.port

    def _command(self):
        return ['redis-server', '--port', str(self.port),
                '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
                '--dir', self.basedir, '--daemonize', 'no',
                '--protected-mode', 'no']

    def _ready(self):
        return _talk(self.port, b'PING\r\n').startswith(b'+PONG')


class Etcd(Daemon):
    """A one-member ``etcd`` (v3 API, as tooz's ``etcd3+http`` uses)."""

    name = 'etcd'
    program = 'etcd'

    @property
    def url(self):
        return 'etcd3+http://127.0.0.1:%d' % self.port

    def _command(self):
        self.peer_port = servers.free_port()
        client = 'http://127.0.0.1:%d' % self.port
        peer = 'http://127.0.0.1:%d' % self.peer_port
        return ['etcd', '--name', 'brick', '--data-dir',
                os.path.join(self.basedir, 'data'),
                '--listen-client-urls', client,
                '--advertise-client-urls', client,
                '--listen-peer-urls', peer,
                '--initial-advertise-peer-urls', peer,
                '--initial-cluster', 'brick=' + peer,
                '--log-level', 'error']

    def _ready(self):
        try:
            with urllib.request.urlopen(
                    'http://127.0.0.1:%d/health' % self.port,
                    timeout=0.5) as answer:
                return b'true' in answer.read()
        except OSError:
            return False


class ZooKeeper(Daemon):
    """A standalone ZooKeeper from Debian's ``zookeeper`` package."""

    name = 'zookeeper'
    program = '/usr/share/java/zookeeper.jar'

    @property
    def url(self):
        return 'zookeeper://127.0.0.1:%d' % self.port

    @property
    def hosts(self):
        """``host:port``, as kazoo takes it."""
        return '127.0.0.1:%d' % self.port

    def _prepare(self):
        os.makedirs(os.path.join(self.basedir, 'data'), exist_ok=True)
        with open(os.path.join(self.basedir, 'zoo.cfg'), 'w') as cfg:
            cfg.write('tickTime=500\ninitLimit=10\nsyncLimit=5\n'
                      'dataDir=%s\nclientPort=%d\n'
                      'clientPortAddress=127.0.0.1\n'
                      'admin.enableServer=false\n'
                      'maxSessionTimeout=60000\n'
                      # envi: kazoo's server_version(), which taskflow's
                      # ZooKeeper jobboard checks when it connects.
                      '4lw.commands.whitelist=ruok,envi\n'
                      % (os.path.join(self.basedir, 'data'), self.port))

    def _command(self):
        return ['java', '-Xmx256m', '-XX:+UseSerialGC',
                '-Dzookeeper.log.dir=' + self.basedir,
                '-Dzookeeper.root.logger=WARN,CONSOLE',
                '-cp', '/etc/zookeeper/conf:' + self.program,
                'org.apache.zookeeper.server.ZooKeeperServerMain',
                os.path.join(self.basedir, 'zoo.cfg')]

    def _ready(self):
        return _talk(self.port, b'ruok') == b'imok'


class RabbitMQ(Daemon):
    """A throwaway RabbitMQ node (Debian's ``rabbitmq-server``).

    Everything the node writes is in its directory, and it gets an
    ``epmd`` of its own on a port of its own (``ERL_EPMD_PORT``), so
    that nodes of parallel test runs never share one and stopping a node
    stops its ``epmd`` too.  ``guest``/``guest`` works from loopback.
    """

    name = 'rabbitmq'
    program = '/usr/lib/rabbitmq/bin/rabbitmq-server'

    def __init__(self):
        super().__init__()
        self.node = 'brick%s@localhost' % uuid.uuid4().hex[:8]
        self.epmd_port = None

    @property
    def url(self):
        return 'rabbit://guest:guest@127.0.0.1:%d/' % self.port

    def _env(self):
        env = dict(os.environ)
        env.update({
            'HOME': self.basedir,
            'RABBITMQ_NODENAME': self.node,
            'RABBITMQ_NODE_IP_ADDRESS': '127.0.0.1',
            'RABBITMQ_NODE_PORT': str(self.port),
            'RABBITMQ_DIST_PORT': str(self.dist_port),
            'ERL_EPMD_PORT': str(self.epmd_port),
            'ERL_EPMD_ADDRESS': '127.0.0.1',
            'RABBITMQ_MNESIA_BASE': os.path.join(self.basedir, 'mnesia'),
            'RABBITMQ_LOG_BASE': os.path.join(self.basedir, 'log'),
            'RABBITMQ_PID_FILE': os.path.join(self.basedir, 'rabbit.pid'),
            'RABBITMQ_ENABLED_PLUGINS_FILE': os.path.join(self.basedir,
                                                          'plugins'),
            'RABBITMQ_CONFIG_FILE': os.path.join(self.basedir, 'rabbitmq'),
        })
        return env

    def _prepare(self):
        self.dist_port = servers.free_port()
        self.epmd_port = servers.free_port()
        with open(os.path.join(self.basedir, 'plugins'), 'w') as plugins:
            plugins.write('[].\n')
        with open(os.path.join(self.basedir, 'rabbitmq.conf'), 'w') as cfg:
            # Tests fill a small disk quickly; never block publishers.
            cfg.write('disk_free_limit.absolute = 1\n'
                      'vm_memory_high_watermark.relative = 0.9\n')

    def _command(self):
        return [self.program]

    def ctl(self, *args, timeout=30):
        """Run ``rabbitmqctl -n NODE ARGS``; return the completed
        process."""
        return subprocess.run(
            ['rabbitmqctl', '-n', self.node, *args], env=self._env(),
            stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
            check=False)

    def _ready(self):
        # The AMQP port opens once the broker can take connections.
        if not _talk(self.port, b'AMQP\x00\x00\x09\x01').startswith(b'\x01'):
            return False
        return True

    def _signal_stop(self):
        if self.ctl('stop').returncode != 0:
            self.process.terminate()

    def stop(self):
        try:
            super().stop()
        finally:
            if self.epmd_port is not None:
                subprocess.run(['epmd', '-port', str(self.epmd_port),
                                '-kill'], capture_output=True, check=False,
                               env=dict(os.environ, ERL_EPMD_PORT=str(
                                   self.epmd_port)))
                self.epmd_port = None


class PgBouncer(Daemon):
    """``pgbouncer`` in front of a PostgreSQL server, transaction pooling.

    :param server: the :class:`tests.functional.db.servers.Server` of the
        PostgreSQL it forwards to.
    :param pool_mode: ``transaction`` (the common setting in front of
        PostgreSQL, and the one that breaks session state) or ``session``.
    """

    name = 'pgbouncer'
    program = 'pgbouncer'

    def __init__(self, server, pool_mode='transaction', pool_size=20):
        super().__init__()
        self.server = server
        self.pool_mode = pool_mode
        self.pool_size = pool_size

    def database_url(self, database):
        """The URL of *database* through the pooler."""
        return self.server.admin_url.set(
            port=self.port, database=database).render_as_string(
                hide_password=False)

    def _popen_user(self):
        # pgbouncer refuses to run as root.
        if os.geteuid() != 0:
            return {}
        return {'user': 'postgres', 'group': 'postgres', 'extra_groups': []}

    def _prepare(self):
        if os.geteuid() == 0:
            owner = pwd.getpwnam('postgres')
            os.chown(self.basedir, owner.pw_uid, owner.pw_gid)
        target = self.server.admin_url
        with open(os.path.join(self.basedir, 'userlist.txt'), 'w') as users:
            users.write('"%s" ""\n' % (target.username or 'postgres'))
        with open(os.path.join(self.basedir, 'pgbouncer.ini'), 'w') as ini:
            ini.write(
                '[databases]\n* = host=%s port=%d\n\n[pgbouncer]\n'
                'listen_addr = 127.0.0.1\nlisten_port = %d\n'
                'unix_socket_dir = %s\nauth_type = trust\n'
                'auth_file = %s\npool_mode = %s\ndefault_pool_size = %d\n'
                'max_client_conn = 500\nignore_startup_parameters = '
                'extra_float_digits,options\n'
                % (target.host, target.port, self.port, self.basedir,
                   os.path.join(self.basedir, 'userlist.txt'),
                   self.pool_mode, self.pool_size))
        for name in os.listdir(self.basedir):
            if os.geteuid() == 0:
                os.chown(os.path.join(self.basedir, name), owner.pw_uid,
                         owner.pw_gid)

    def _command(self):
        return ['pgbouncer', os.path.join(self.basedir, 'pgbouncer.ini')]

    def _ready(self):
        # The PostgreSQL SSLRequest: pgbouncer answers 'N' (no SSL).
        return _talk(self.port, b'\x00\x00\x00\x08\x04\xd2\x16\x2f') == b'N'


@contextlib.contextmanager
def start(cls, *args, **kwargs):
    """Start a *cls* server and stop it at the end."""
    daemon = cls(*args, **kwargs)
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.stop()
