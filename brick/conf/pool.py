# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The ``[pool:NAME]`` sections: one per pool named in
``[brick_node]pools``.

The options of a section are ``driver`` plus that driver's own options
(its ``OPTS``); they are registered when the pool is loaded
(:func:`brick.drivers.from_conf`).  This module only lists them all for
the sample configuration and the docs.
"""

from oslo_config import cfg
from stevedore import extension

NAME = 'pool:NAME'


def _group() -> cfg.OptGroup:
    # A new object for every caller: oslo-config-generator lower-cases
    # the name of the group object it is given, in place.
    return cfg.OptGroup(
        NAME,
        title='A storage pool',
        help='One section per pool named in [brick_node]pools; the options '
             'after "driver" apply to the drivers named in their help.')


def list_opts() -> dict[cfg.OptGroup, list[cfg.Opt]]:
    from brick import drivers
    from brick.drivers import base

    options = {opt.dest: opt for opt in drivers.COMMON_OPTS}
    manager: extension.ExtensionManager[base.VolumeDriver] = (
        extension.ExtensionManager(drivers.NAMESPACE))
    for ext in sorted(manager, key=lambda ext: ext.name):
        for opt in ext.plugin.OPTS:
            options.setdefault(opt.dest, opt)
    return {_group(): list(options.values())}
