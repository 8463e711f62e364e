# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.

"""``brick driver list``: the installed volume drivers.

Needs no configuration: it reads the ``brick.volume_drivers`` entry
points, not the node's pools.
"""

from brick import drivers
from brick.cmd import common

COLUMNS = ('name', 'capabilities', 'options')


class ListDrivers(common.Lister):
    """List the installed volume drivers and what each can do.

    capabilities are the optional operations a driver supports (snapshot,
    clone, clone-overlay, shrink, thin, copy-image, extend-by-copy);
    options are what a [pool:NAME] section using it may set besides driver.
    """

    def take_action(self, parsed_args):
        rows = []
        for name in drivers.names():
            try:
                cls = drivers.driver_class(name)
            except Exception as err:
                # An entry point whose module does not import: say so and
                # list the others.
                self.defer(err)
                continue
            rows.append((name, common.Items(sorted(
                capability.value for capability in cls.capabilities)),
                common.Items([opt.dest for opt in cls.OPTS])))
        return COLUMNS, rows
