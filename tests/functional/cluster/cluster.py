# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""A brick site of separate processes on one machine.

Three ``brick-node`` processes (node1 and node2 in rack1, node3 in
rack2; a raw pool each, in a directory of their own), one ``brick node
monitor``, PostgreSQL, RabbitMQ and Redis.  Nodes get no database
setting at all: one that touched a database would create an SQLite file
in its data directory, which :meth:`Cluster.node_databases` finds.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

from brick import units
from brick.db import engine
from brick.db import migration
from brick.inventory import declarative
from brick.inventory import file as inventory_file
from brick.inventory import hosts

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
NODES = {'node1': 'rack1', 'node2': 'rack1', 'node3': 'rack2'}
CALL_TIMEOUT = 3
HEARTBEAT_TIMEOUT = 3
ORPHAN_GRACE = 2
SIZE = 64 * units.Mi

INVENTORY = """\
zones: [{name: zone1}]
racks:
  - {name: rack1, zone: zone1}
  - {name: rack2, zone: zone1}
hosts:
%s
pools:
%s
""" % (''.join('  - {name: %s, rack: %s}\n' % item for item in NODES.items()),
       ''.join('  - {name: raw, driver: raw, host: %s}\n' % host
               for host in NODES))


def brick_node_program():
    """The ``brick-node`` console script next to this Python (tools/venv
    installs it), else the same through ``python -m brick.cmd.cli``."""
    script = os.path.join(os.path.dirname(sys.executable), 'brick-node')
    if os.path.exists(script):
        return [script]
    return [sys.executable, '-m', 'brick.cmd.cli']


class Cluster:
    """The site under *root*; nothing runs until :meth:`start`."""

    def __init__(self, root, database_url, broker_url, redis_url):
        self.root = str(root)
        self.database_url = database_url
        self.broker_url = broker_url
        self.redis_url = redis_url
        self.processes = {}
        self.db = engine.Database(database_url)

    # -- configuration ----------------------------------------------------

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def pool_path(self, host):
        return self.path(host, 'pools', 'raw')

    def _write(self, name, sections):
        lines = []
        for section, options in sections.items():
            lines.append('[%s]' % section)
            lines.extend('%s = %s' % item for item in options.items())
            lines.append('')
        with open(self.path(name + '.conf'), 'w') as conf:
            conf.write('\n'.join(lines))
        return self.path(name + '.conf')

    def _common(self):
        return {
            'brick_node': {'transport_url': self.broker_url,
                           'call_timeout': CALL_TIMEOUT,
                           'connect_retries': 2, 'report_interval': 1},
            'brick_coordination': {'backend_url': self.redis_url,
                                   'heartbeat_timeout': HEARTBEAT_TIMEOUT},
        }

    def node_conf(self, host):
        sections = self._common()
        sections['brick'] = {'data_dir': self.path(host)}
        sections['brick_node'].update(host=host, pools='raw')
        sections['pool:raw'] = {'driver': 'raw',
                                'path': self.pool_path(host)}
        return self._write(host, sections)

    def control_conf(self, name='control'):
        sections = self._common()
        sections['brick'] = {'data_dir': self.path(name)}
        sections['brick_node']['host'] = name
        sections['brick_database'] = {'connection': self.database_url}
        sections['brick_monitor'] = {'liveness_interval': 1,
                                     'orphan_grace': ORPHAN_GRACE,
                                     'host': name}
        sections['brick_scheduler'] = {'refresh_interval': 0.5}
        sections['brick_workflow'] = {'attempts': 3, 'reserve_count': 2}
        return self._write(name, sections)

    # -- processes ---------------------------------------------------------

    def _spawn(self, name, argv):
        os.makedirs(self.path('logs'), exist_ok=True)
        log = open(self.path('logs', name + '.log'), 'ab')
        process = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.processes[name] = process
        return process

    def start(self):
        for name in ('control',) + tuple(NODES):
            os.makedirs(self.path(name), exist_ok=True)
        migration.upgrade(self.db)  # as 'brick db upgrade'
        declarative.apply(self.db, inventory_file.parse(INVENTORY, 'test'))
        self.start_monitor()
        for host in NODES:
            self.start_node(host)
        self.wait_for(self.all_reported, 120, 'every node reported')
        return self

    def start_monitor(self):
        return self._spawn('monitor', [
            sys.executable, '-m', 'brick.cmd.cli', '-v', '--config-file',
            self.control_conf(), 'node', 'monitor'])

    def start_node(self, host):
        return self._spawn(host, brick_node_program() + [
            '-v', '--config-file', self.node_conf(host)] + (
            ['node', 'serve'] if brick_node_program()[0] == sys.executable
            else []))

    def signal(self, name, signum):
        self.processes[name].send_signal(signum)

    def kill(self, name):
        process = self.processes[name]
        process.kill()
        process.wait()

    def stop(self):
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.db.dispose()

    def log(self, name, lines=40):
        path = self.path('logs', name + '.log')
        if not os.path.exists(path):
            return ''
        with open(path, errors='replace') as log:
            return ''.join(log.readlines()[-lines:])

    def logs(self):
        return '\n'.join('--- %s\n%s' % (name, self.log(name))
                         for name in self.processes)

    # -- looking -----------------------------------------------------------

    def wait_for(self, predicate, seconds, what):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = predicate()
            if found:
                return found
            for name, process in self.processes.items():
                if process.poll() not in (None, -signal.SIGKILL):
                    raise AssertionError('%s exited with %s:\n%s' % (
                        name, process.returncode, self.log(name)))
            time.sleep(0.25)
        raise AssertionError('%s: not within %s s\n%s' % (
            what, seconds, self.logs()))

    def query(self, sql, **params):
        import sqlalchemy as sa

        with self.db.begin(readonly=True) as conn:
            return conn.execute(sa.text(sql), params).all()

    def all_reported(self):
        rows = self.query(
            "SELECT h.name, h.state, h.heartbeat_at, p.reported_at FROM "
            "hosts h JOIN pools p ON p.host_id = h.id")
        return len(rows) == len(NODES) and all(
            row.state != 'down' and row.heartbeat_at is not None
            and row.reported_at is not None for row in rows)

    def host_state(self, host):
        """``(state, reason)`` of *host* as the inventory shows it."""
        found = hosts.get_host(self.db, host)
        return found.state, found.state_reason

    def files(self):
        """``{host: sorted volume file names}``."""
        found = {}
        for host in NODES:
            path = self.pool_path(host)
            found[host] = sorted(n for n in os.listdir(path)
                                 if not n.startswith('.')) \
                if os.path.isdir(path) else []
        return found

    def node_databases(self):
        """Database files a node made (there must be none)."""
        return [self.path(host, 'brick.sqlite') for host in NODES
                if os.path.exists(self.path(host, 'brick.sqlite'))]

    def brick(self, conf, *args, check=True):
        """Run the ``brick`` command with *conf*; return the completed
        process (``.stdout`` parsed as JSON into ``.json`` if it is)."""
        done = subprocess.run(
            [sys.executable, '-m', 'brick.cmd.cli', '--config-file', conf,
             *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
            check=False)
        if check and done.returncode != 0:
            raise AssertionError('brick %s: exit %d\n%s' % (
                ' '.join(args), done.returncode, done.stderr))
        try:
            done.json = json.loads(done.stdout)
        except ValueError:
            done.json = None
        return done

    def remove(self):
        shutil.rmtree(self.root, ignore_errors=True)
