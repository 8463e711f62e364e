# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.

"""Volume drivers, found by name in the ``brick.volume_drivers`` namespace.

>>> driver = load('raw', path='/var/lib/brick/pools/raw')
>>> driver.check()
>>> driver.create('vol1', 10 * units.Gi)

A pool configured in a ``[pool:NAME]`` section is loaded with
:func:`from_conf`.
"""

import os
from typing import TYPE_CHECKING
from typing import Any
from typing import cast

from oslo_config import cfg
from stevedore import driver as stevedore_driver
from stevedore import extension

from brick import exception
from brick.drivers import base

if TYPE_CHECKING:
    from brick.local import executor as executor_mod

NAMESPACE = 'brick.volume_drivers'

COMMON_OPTS: list[cfg.Opt] = [
    cfg.StrOpt(
        'driver',
        help="""
Volume driver of this pool: one of the ``brick.volume_drivers`` entry
points (``raw``, ``qcow2``, ``vdi``, ``lvm``, ``lvm-thin`` with brick alone).
"""),
]


def names() -> list[str]:
    """Return the names of every installed driver, sorted."""
    manager: extension.ExtensionManager[base.VolumeDriver] = (
        extension.ExtensionManager(NAMESPACE, invoke_on_load=False))
    return sorted(manager.names())


def driver_class(name: str) -> type[base.VolumeDriver]:
    """Return the driver class registered as *name*.

    :raises brick.exception.DriverNotFound: naming the installed drivers.
    """
    if not isinstance(name, str) or not name:
        raise exception.DriverNotFound(name=name,
                                       available=', '.join(names()))
    try:
        manager: stevedore_driver.DriverManager[base.VolumeDriver] = (
            stevedore_driver.DriverManager(NAMESPACE, name,
                                           invoke_on_load=False))
    except Exception as err:  # stevedore raises NoMatches or import errors
        raise exception.DriverNotFound(
            name=name, available=', '.join(names())) from err
    # Not invoked on load: the plugin itself, the class.
    return cast(type[base.VolumeDriver], manager.driver)


def load(name: str, executor: 'executor_mod.Executor | None' = None,
         pool: str | None = None, **options: Any) -> base.VolumeDriver:
    """Instantiate driver *name*; nothing on the host is touched.

    :param name: entry-point name, e.g. ``'lvm-thin'``.
    :param executor: the :class:`~brick.local.executor.Executor` to use;
        a default one is made if None.
    :param pool: the pool's name, for messages.
    :param options: the driver's own options (see its ``OPTS``).
    :raises brick.exception.DriverNotFound: unknown driver.
    :raises brick.exception.InvalidValue: an option the driver lacks.
    """
    cls = driver_class(name)
    known = {opt.dest for opt in cls.OPTS}
    unknown = sorted(set(options) - known)
    if unknown:
        raise exception.InvalidValue(
            field='option of driver %s' % name, value=unknown[0],
            allowed=', '.join(sorted(known)) or 'none')
    if executor is None:
        from brick.local import executor as executor_module
        executor = executor_module.Executor()
    return cls(executor=executor, pool=pool or name, **options)


def pool_group(pool: str) -> str:
    """Name of the config section describing pool *pool*."""
    return 'pool:%s' % pool


def from_conf(conf: cfg.ConfigOpts, pool: str,
              executor: 'executor_mod.Executor | None' = None
              ) -> base.VolumeDriver:
    """Instantiate the driver of the pool in section ``[pool:<pool>]``.

    :param conf: a ``ConfigOpts`` that has read the configuration files.
    :param pool: the pool's name.
    :raises brick.exception.PoolNotFound: no such section or no driver.
    :raises brick.exception.DriverNotFound: unknown driver.
    """
    group = pool_group(pool)
    conf.register_opts(COMMON_OPTS, group=group)
    name: str | None = conf[group].driver
    if not name:
        raise exception.PoolNotFound(
            name=pool, reason='no [%s] section with a driver option' % group)
    cls = driver_class(name)
    conf.register_opts(cls.OPTS, group=group)
    options = {opt.dest: conf[group][opt.dest] for opt in cls.OPTS}
    return load(name, executor=executor, pool=pool, **options)


DEFAULT_POOLS = ('raw', 'qcow2', 'vdi')
"""The file pools a node has when ``[brick_node]pools`` is empty."""


def node_pools(conf: cfg.ConfigOpts,
               executor: 'executor_mod.Executor | None' = None
               ) -> dict[str, base.VolumeDriver]:
    """Return ``{pool name: driver}`` for every pool of this node.

    Drivers are only instantiated; call ``check()`` before use.

    :param conf: a ``ConfigOpts`` with brick's options registered.
    """
    pools: dict[str, base.VolumeDriver] = {}
    for pool in conf.brick_node.pools:
        pools[pool] = from_conf(conf, pool, executor)
    if not conf.brick_node.pools:
        directory = os.path.join(conf.brick.data_dir, 'pools')
        for pool in DEFAULT_POOLS:
            pools[pool] = load(pool, executor=executor, pool=pool,
                               path=os.path.join(directory, pool))
    return pools
