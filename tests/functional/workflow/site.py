# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""A three-host site on a real database with real file pools, and the
checks of what a flow leaves behind."""

import os

from oslo_config import cfg

import brick.conf
from brick import api
from brick import drivers
from brick.inventory import allocations
from brick.inventory import declarative
from brick.inventory import file as inventory_file
from brick.inventory import reservations
from brick.node import agent

HOSTS = {'host1': 'rack1', 'host2': 'rack1', 'host3': 'rack2'}
POOLS = ('raw', 'qcow2')


def site_yaml():
    lines = ['zones: [{name: zone1}]\n', 'racks:\n',
             '  - {name: rack1, zone: zone1}\n',
             '  - {name: rack2, zone: zone1}\n', 'hosts:\n']
    lines += ['  - {name: %s, rack: %s}\n' % item for item in HOSTS.items()]
    lines.append('pools:\n')
    lines += ['  - {name: %s, driver: %s, host: %s}\n' % (pool, pool, host)
              for host in HOSTS for pool in POOLS]
    return ''.join(lines)


def make_conf(root, attempts=3, reserve_count=2, refresh_interval=0,
              **workflow):
    conf = cfg.ConfigOpts()
    brick.conf.register_opts(conf)
    conf([], project='brick-test', default_config_files=[])
    conf.set_override('data_dir', str(root), group='brick')
    conf.set_override('attempts', attempts, group='brick_workflow')
    conf.set_override('reserve_count', reserve_count, group='brick_workflow')
    conf.set_override('refresh_interval', refresh_interval,
                      group='brick_scheduler')
    for name, value in workflow.items():
        conf.set_override(name, value, group='brick_workflow')
    return conf


class Site:
    """Hosts host1, host2 (rack1) and host3 (rack2), pools raw and qcow2
    each, as directories under *root*, in inventory *db*."""

    def __init__(self, db, root):
        self.db = db
        self.root = str(root)
        self.apis = []
        declarative.apply(db, inventory_file.parse(site_yaml(), 'test'))

    def close(self):
        """Close the APIs made here (their flow owners' heartbeats)."""
        while self.apis:
            self.apis.pop().close()

    def path(self, host, pool):
        return os.path.join(self.root, 'hosts', host, pool)

    def drivers(self, host, replace=None):
        found = {pool: drivers.load(pool, pool=pool, path=self.path(
            host, pool)) for pool in POOLS}
        found.update((replace or {}).get(host, {}))
        return found

    def api(self, replace=None, handlers=None, **options):
        """An API on this site; *replace* ``{host: {pool: driver}}``
        swaps in fake drivers."""
        nodes = [agent.NodeAgent(host, self.drivers(host, replace))
                 for host in HOSTS]
        service = api.API(make_conf(self.root, **options), nodes=nodes,
                          db=self.db)
        self.apis.append(service)
        for name, handler in (handlers or {}).items():
            service.handlers.register(name, handler)
        service.setup()
        return service

    def files(self):
        """``{'host/pool': [volume files]}`` as on disk, empty ones left
        out."""
        found = {}
        for host in HOSTS:
            for pool in POOLS:
                path = self.path(host, pool)
                names = sorted(n for n in os.listdir(path)
                               if not n.startswith('.')) \
                    if os.path.isdir(path) else []
                if names:
                    found['%s/%s' % (host, pool)] = names
        return found

    def live(self):
        """Reservations still holding space."""
        return reservations.list_reservations(self.db, state='reserved')

    def allocations(self, consumer=None):
        return allocations.list_allocations(self.db, consumer=consumer)

    def assert_clean(self):
        """Nothing left: no file, no live reservation, no allocation,
        usage counters right."""
        assert self.files() == {}
        assert self.live() == []
        assert self.allocations() == []
        assert allocations.check(self.db) == []

    def assert_committed(self, placed, others=()):
        """*placed*'s volumes exist where it says, are allocated, and no
        reservation is left live but those of the consumers *others*."""
        for volume in placed.volumes:
            assert os.path.isfile(volume.path), volume
            assert volume.path.startswith(self.path(volume.host,
                                                    volume.pool))
        held = self.allocations(placed.consumer)
        assert sorted(a.volume for a in held) == sorted(
            v.name for v in placed.volumes)
        assert {r.consumer for r in self.live()} == set(others)
        assert allocations.check(self.db) == []
