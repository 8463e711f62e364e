# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``brick ganeti install``: write the Ganeti ExtStorage provider.

::

    brick --config-file /etc/brick/brick.conf ganeti install --pool raw
    gnt-instance add -t ext --disk 0:size=10G,provider=brick ...

The scripts remember the configuration files, data dir and default pool
given here; a disk's ``pool`` parameter overrides the pool.
"""

import os

from brick.cmd import common
from brick.ganeti import install


class Install(common.Lister):
    """Write the provider directory (scripts and parameters.list)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--dir', metavar='DIR', default=install.DEFAULT_DIR,
            help='the provider directory; its name is the provider name '
                 'Ganeti knows (default %s)' % install.DEFAULT_DIR)
        common.add_pool_argument(
            parser, "pool of disks without a pool parameter (default: the "
                    "node's default pool)")
        return parser

    def take_action(self, parsed_args):
        # Ganeti runs the scripts in the provider directory: every path
        # is made absolute.
        options = self.app.options
        argv = []
        for path in options.config_files or ():
            argv += ['--config-file', os.path.abspath(path)]
        for path in options.config_dirs or ():
            argv += ['--config-dir', os.path.abspath(path)]
        if options.data_dir:
            argv += ['--data-dir', os.path.abspath(options.data_dir)]
        if parsed_args.pool:
            argv += ['--pool', parsed_args.pool]
        written = install.install(parsed_args.dir, argv)
        return ('path',), [(path,) for path in written]
