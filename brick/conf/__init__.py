# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.

"""brick's configuration options.

brick never reads a global cfg.CONF.  The embedding service (or brick's
own command line) creates a :class:`oslo_config.cfg.ConfigOpts`, calls
:func:`register_opts` on it, and hands it to the objects that need it.
"""

import importlib.metadata
from collections.abc import Iterable

from oslo_config import cfg


def register_group(conf: cfg.ConfigOpts, group: cfg.OptGroup,
                   options: Iterable[cfg.Opt]) -> None:
    """Register *options* under a private copy of *group* on *conf*.

    oslo.config keeps an option's override and default on the
    :class:`~oslo_config.cfg.OptGroup` object itself, so two ConfigOpts
    given the same module-level group would share them: a test's or a
    command's ``set_override`` would leak into the next ConfigOpts of the
    process.  Each ConfigOpts therefore gets its own group object.
    """
    conf.register_group(cfg.OptGroup(group.name, title=group.title,
                                      help=group.help))
    conf.register_opts(options, group=group.name)


def register_opts(conf: cfg.ConfigOpts) -> None:
    """Register every brick option group on *conf*.

    :param conf: an :class:`oslo_config.cfg.ConfigOpts` owned by the caller.
    """
    from brick.conf import opts
    from brick.conf import pool

    for group, options in opts.list_opts():
        if group.name != pool.NAME:  # a template (see brick.conf.pool)
            register_group(conf, group, options)


def version() -> str:
    """brick's installed version, or ``'unknown'``."""
    try:
        return importlib.metadata.version('brick')
    except importlib.metadata.PackageNotFoundError:
        return 'unknown'


def load(config_files: Iterable[str] | None = None,
         config_dirs: Iterable[str] | None = None,
         data_dir: str | None = None,
         prog: str = 'brick') -> cfg.ConfigOpts:
    """Read brick's configuration into a fresh ``ConfigOpts``, as the
    ``brick`` command, the services and the Ganeti provider do.

    :param config_files: paths given with ``--config-file``; None reads
        oslo.config's default locations for project ``brick``
        (``~/.brick/brick.conf``, ``/etc/brick/brick.conf``...).
    :param config_dirs: paths given with ``--config-dir``.
    :param data_dir: overrides ``[brick]data_dir`` when not None.
    :param prog: the program name oslo.config reports in errors.
    :returns: the :class:`oslo_config.cfg.ConfigOpts`.
    :raises oslo_config.cfg.Error: a file is missing or malformed.
    """
    conf = cfg.ConfigOpts()
    register_opts(conf)
    args = []
    for path in config_files or ():
        args += ['--config-file', path]
    for path in config_dirs or ():
        args += ['--config-dir', path]
    conf(args, project='brick', prog=prog, version=version())
    if data_dir:
        conf.set_override('data_dir', data_dir, group='brick')
    return conf
