# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The in-process node: one host's drivers, called directly."""

import logging

from brick import exception
from brick import names
from brick.node import base
from brick.scheduler import inventory
from brick.scheduler import pools as pools_mod

LOG = logging.getLogger(__name__)


class NodeAgent(base.Node):
    """Owns the drivers of one host and runs node tasks through them.

    The constructor only stores its arguments; :meth:`setup` checks the
    pools (creating a file pool's directory).

    :param host: the host's name in the inventory.
    :param drivers: ``{pool name: VolumeDriver}``, e.g. from
        :func:`brick.drivers.node_pools`.
    :raises brick.exception.InvalidName: a bad host or pool name.
    """

    def __init__(self, host, drivers):
        self._host = names.validate(host, 'host name')
        if not isinstance(drivers, dict):
            raise exception.InvalidValue(
                field='drivers of node %s' % host, value=drivers,
                allowed='a dict {pool name: VolumeDriver}')
        for pool in drivers:
            names.validate(pool, 'pool name')
        self.drivers = dict(drivers)

    @classmethod
    def from_conf(cls, conf, executor=None):
        """The node of this host: ``[brick_node]host`` and its pools.

        :param conf: a ``ConfigOpts`` with brick's options registered.
        """
        from brick import drivers

        return cls(conf.brick_node.host, drivers.node_pools(conf, executor))

    @property
    def host(self):
        return self._host

    def __repr__(self):
        return '<NodeAgent %s: %s>' % (self._host, ', '.join(self.pools()))

    def pools(self):
        return sorted(self.drivers)

    def driver(self, pool):
        """Return the driver of *pool*.

        :raises brick.exception.PoolNotFound: this node has no such pool.
        """
        try:
            return self.drivers[pool]
        except (KeyError, TypeError):
            raise exception.PoolNotFound(
                name=pool, reason='host %s has pools %s' % (
                    self._host, ', '.join(self.pools()) or 'none')) from None

    def setup(self):
        """Check every pool (see ``VolumeDriver.check``)."""
        for pool in self.pools():
            self.drivers[pool].check()

    def create_volume(self, pool, name, size):
        driver = self.driver(pool)
        volume = driver.create(name, size)
        try:
            info = driver.attach(name)
        except Exception:
            # Nothing else knows the volume yet: do not leave it behind.
            driver.delete(name)
            raise
        LOG.info('Created volume %s (%d bytes) in pool %s on %s', name,
                 size, pool, self._host)
        return volume, info

    def delete_volume(self, pool, name):
        driver = self.driver(pool)
        driver.detach(name)
        driver.delete(name)
        LOG.info('Deleted volume %s of pool %s on %s', name, pool,
                 self._host)

    def extend_volume(self, pool, name, size):
        return self.driver(pool).extend(name, size)

    def snapshot_volume(self, pool, volume, name):
        return self.driver(pool).create_snapshot(volume, name)

    def report(self, db):
        """Apply each pool's capacity report to its inventory row; pools
        missing from the inventory are skipped (and logged)."""
        rows = {row.name: row
                for row in inventory.list_pools(db, host=self._host)}
        stored = {}
        for pool in self.pools():
            if pool not in rows:
                LOG.warning('Pool %s of host %s is not in the inventory; '
                            'its capacity is not reported', pool,
                            self._host)
                continue
            stored[pool] = pools_mod.apply_report(
                db, rows[pool].id, self.drivers[pool].capacity())
        return stored
