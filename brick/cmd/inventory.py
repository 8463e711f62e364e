# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``brick inventory apply``, ``export`` and ``show``.

``apply`` makes the database match a YAML inventory file (see
``etc/brick/inventory.yaml.example`` and
:mod:`brick.inventory.declarative`) and prints one line per change::

    + pool host:compute-1/nvme: driver=lvm-thin, ...
    ~ pool host:compute-1/nvme: reserved 0 -> 10737418240 (10 GiB)
    ! pool host:compute-2/hdd: state enabled -> disabled (not in the file)
    - pool rack:rack-a1/nfs (holds 0 allocations, 0 reservations)

``export`` writes the live inventory as such a file; applying it to the
same database changes nothing (see :mod:`brick.inventory.export`).
"""

from brick.cmd import common
from brick.cmd import db as db_command
from brick.cmd import pool as pool_command
from brick.inventory import bounded_yaml
from brick.inventory import declarative
from brick.inventory import export
from brick.inventory import file as inventory_file
from brick.inventory import pools as pools_mod


class Apply(common.Command):
    """Create, update and disable hosts and pools to match a YAML file.

    Applying the same file again changes nothing.  Pools and hosts that
    are not in the file are disabled; --prune deletes vanished pools
    that hold nothing (and racks and zones nothing refers to); --force
    also deletes vanished pools that hold allocations.  Any error
    changes nothing.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('-f', '--file', metavar='FILE', required=True,
                            help="the inventory file (YAML); '-' reads "
                                 "standard input, e.g. from 'git show "
                                 "REV:inventory.yaml'")
        parser.add_argument('--dry-run', action='store_true',
                            help='print the changes without making them')
        parser.add_argument('--prune', action='store_true',
                            help='delete vanished pools that hold nothing')
        parser.add_argument('--force', action='store_true',
                            help='with --prune, delete vanished pools even '
                                 'if they hold allocations')
        db_command.add_connection_argument(parser)
        return parser

    def take_action(self, parsed_args):
        if parsed_args.file == '-':
            wanted = inventory_file.parse(
                bounded_yaml.read(self.app.stdin, '<standard input>'),
                '<standard input>')
        else:
            wanted = inventory_file.load(parsed_args.file)
        with db_command.inventory(self.app, parsed_args) as db:
            changes = declarative.apply(db, wanted, parsed_args.dry_run,
                                        parsed_args.prune, parsed_args.force)
        for change in changes:
            self.app.stdout.write('%s\n' % change)
        self.app.stdout.write('%d change%s%s.\n' % (
            len(changes), '' if len(changes) == 1 else 's',
            ' (dry run: nothing was changed)' if parsed_args.dry_run
            else ''))


class Export(common.Command):
    """Write the live inventory (zones, racks, hosts, pools) as a YAML
    file that 'brick inventory apply' reads back with no change.

    Usage, allocations and reservations are not part of the file.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('-o', '--output', metavar='FILE', default='-',
                            help="where to write it; '-' (the default) is "
                                 "standard output")
        db_command.add_connection_argument(parser)
        return parser

    def take_action(self, parsed_args):
        with db_command.inventory(self.app, parsed_args) as db:
            text = export.dump(export.read(db))
        if parsed_args.output == '-':
            self.app.stdout.write(text)
            return
        with open(parsed_args.output, 'w', encoding='utf-8') as stream:
            stream.write(text)


class Show(common.Lister):
    """List every pool of the inventory with its capacity and usage."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--host', metavar='NAME',
                            help='only the pools of this host')
        db_command.add_connection_argument(parser)
        return parser

    def take_action(self, parsed_args):
        with db_command.inventory(self.app, parsed_args) as db:
            pools = pools_mod.list_pools(db, host=parsed_args.host)
        return pool_command.COLUMNS, [pool_command.row(pool)
                                      for pool in pools]
