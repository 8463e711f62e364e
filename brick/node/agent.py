# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The in-process node: one host's drivers, called directly."""

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from oslo_config import cfg
from oslo_log import log as logging

from brick import exception
from brick import names
from brick.drivers import volume as volume_mod
from brick.node import base
from brick.node import report as report_mod

if TYPE_CHECKING:  # imported when used (from_conf), as before
    from brick.drivers.base import VolumeDriver
    from brick.local import executor as executor_mod

LOG = logging.getLogger(__name__)


class NodeAgent(base.Node):
    """Owns the drivers of one host and runs node tasks through them.

    The same object serves the workflow (through the
    :class:`~brick.node.base.Node` methods), the ``brick`` command and the
    Ganeti provider (through :meth:`driver`).  The constructor only stores
    its arguments; each pool is checked
    (:meth:`~brick.drivers.base.VolumeDriver.check`, which for a file pool
    creates its directory) once, before its first use, or all at once by
    :meth:`setup`.

    :param host: the host's name in the inventory.
    :param drivers: ``{pool name: VolumeDriver}``, e.g. from
        :func:`brick.drivers.node_pools`, in configuration order.
    :param executor: the :class:`~brick.local.executor.Executor` the
        drivers share, for callers that run commands of their own (loop
        devices); None if there is none.
    :raises brick.exception.InvalidName: a bad host or pool name.
    """

    DEFAULT_POOL = 'raw'

    def __init__(self, host: str, drivers: dict[str, 'VolumeDriver'],
                 executor: 'executor_mod.Executor | None' = None) -> None:
        self._host = names.validate(host, 'host name')
        if not isinstance(drivers, dict):
            raise exception.InvalidValue(
                field='drivers of node %s' % host, value=drivers,
                allowed='a dict {pool name: VolumeDriver}')
        for pool in drivers:
            names.validate(pool, 'pool name')
        self.drivers: dict[str, VolumeDriver] = dict(drivers)
        self.executor = executor
        self._checked: set[str] = set()
        self._started = time.time()
        # (pool, volume) -> when a create of it last started, so that an
        # orphan listed before then is not deleted (delete_orphan).
        self._touched: dict[tuple[str, str], float] = {}

    @classmethod
    def from_conf(cls, conf: cfg.ConfigOpts,
                  executor: 'executor_mod.Executor | None' = None
                  ) -> 'NodeAgent':
        """The node of this host: ``[brick_node]host`` and its pools.

        :param conf: a ``ConfigOpts`` with brick's options registered.
        :param executor: the executor the drivers share; default one from
            ``[brick_executor]``.
        """
        from brick import drivers
        from brick.local import executor as executor_mod

        executor = executor or executor_mod.Executor.from_conf(conf)
        return cls(conf.brick_node.host, drivers.node_pools(conf, executor),
                   executor)

    @property
    def host(self) -> str:
        return self._host

    def __repr__(self) -> str:
        return '<NodeAgent %s: %s>' % (self._host, ', '.join(self.pools()))

    def pools(self) -> list[str]:
        return sorted(self.drivers)

    def names(self) -> list[str]:
        """The pool names in configuration order (:meth:`pools` sorts)."""
        return list(self.drivers)

    def default_pool(self) -> str:
        """``raw`` if the node has it, else its only pool.

        :raises brick.exception.InvalidValue: several pools, none ``raw``.
        """
        if self.DEFAULT_POOL in self.drivers or not self.drivers:
            return self.DEFAULT_POOL
        if len(self.drivers) == 1:
            return next(iter(self.drivers))
        raise exception.InvalidValue(
            field='pool', value='(none given)',
            allowed='--pool with one of %s' % ', '.join(self.drivers))

    def driver(self, pool: str | None = None, check: bool = True
               ) -> 'VolumeDriver':
        """Return the driver of *pool* (default: :meth:`default_pool`),
        checked once before its first use unless *check* is False.

        :raises brick.exception.PoolNotFound: this node has no such pool.
        :raises brick.exception.BrickException: from the driver's check.
        """
        pool = self.default_pool() if pool is None else pool
        try:
            driver = self.drivers[pool]
        except (KeyError, TypeError):
            raise exception.PoolNotFound(
                name=pool, reason='host %s has the pools %s' % (
                    self._host, ', '.join(self.names()) or 'none')) from None
        if check and pool not in self._checked:
            driver.check()
            self._checked.add(pool)
        return driver

    def setup(self) -> None:
        """Check every pool (see ``VolumeDriver.check``)."""
        for pool in self.names():
            self.driver(pool)

    def create_volume(self, pool: str, name: str,
                      size: int
                      ) -> tuple[volume_mod.Volume, volume_mod.ConnectionInfo]:
        driver = self.driver(pool)
        self._touched[(pool, name)] = time.time()
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

    def delete_volume(self, pool: str, name: str) -> None:
        driver = self.driver(pool)
        driver.detach(name)
        driver.delete(name)
        LOG.info('Deleted volume %s of pool %s on %s', name, pool,
                 self._host)

    def extend_volume(self, pool: str, name: str, size: int
                      ) -> volume_mod.Volume:
        return self.driver(pool).extend(name, size)

    def snapshot_volume(self, pool: str, volume: str, name: str
                        ) -> volume_mod.Snapshot:
        return self.driver(pool).create_snapshot(volume, name)

    def report(self, pools: Iterable[str] | None = None
               ) -> report_mod.NodeReport:
        """Describe the pools *pools* (default: all); a pool whose driver
        fails is listed in the report's ``broken``, not raised.

        :raises brick.exception.PoolNotFound: a pool this node lacks.
        """
        wanted = self.names() if pools is None else list(pools)
        drivers: dict[str, VolumeDriver] = {}
        broken: list[tuple[str, str]] = []
        for pool in wanted:
            try:
                drivers[pool] = self.driver(pool)
            except exception.PoolNotFound:
                raise
            except exception.BrickException as err:
                broken.append((pool, str(err)))
        found = report_mod.take(self._host, drivers)
        return report_mod.NodeReport(
            found.host, found.taken_at, found.pools, pools is None,
            found.broken + tuple(broken))

    def delete_orphan(self, pool: str, name: str, listed_at: float) -> bool:
        """See :meth:`brick.node.base.Node.delete_orphan`.  This process
        remembers when it started each create; one that started at or
        after *listed_at*, or a process started after it (which cannot
        tell), refuses."""
        driver = self.driver(pool)
        if listed_at < self._started or self._touched.get(
                (pool, name), 0) >= listed_at:
            LOG.info('Not deleting orphan %s of pool %s: created again '
                     'since it was listed', name, pool)
            return False
        try:
            volume = driver.get(name)
        except exception.VolumeNotFound:
            return True
        if not volume.managed:
            LOG.warning('Not deleting orphan %s of pool %s: brick did not '
                        'make it', name, pool)
            return False
        self.delete_volume(pool, name)
        LOG.info('Deleted orphan volume %s of pool %s on %s', name, pool,
                 self._host)
        return True
