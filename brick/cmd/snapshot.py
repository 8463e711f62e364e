# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.

"""``brick volume snapshot ...``: point-in-time copies of a volume.

Only pools whose driver has the ``snapshot`` capability take snapshots
(``brick driver list``); the others exit with code 5 before anything
runs.
"""

import datetime

from brick import names
from brick.cmd import common

COLUMNS = ('name', 'volume', 'pool', 'size', 'created_at')


def _row(driver, snapshot):
    created = None
    if snapshot.created_at is not None:
        created = datetime.datetime.fromtimestamp(snapshot.created_at,
                                                  datetime.UTC)
    return (snapshot.name, snapshot.volume, driver.pool,
            common.Size(snapshot.size), common.timestamp(created))


def _add_volume_and_pool(parser):
    parser.add_argument('volume', metavar='VOLUME', help='the volume')
    common.add_pool_argument(parser)


class CreateSnapshot(common.ShowOne):
    """Snapshot a volume (or show the snapshot if it exists)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_volume_and_pool(parser)
        parser.add_argument('name', metavar='NAME', help='the new snapshot')
        return parser

    def take_action(self, parsed_args):
        driver = self.app.node.driver(parsed_args.pool)
        snapshot = driver.create_snapshot(parsed_args.volume,
                                          parsed_args.name)
        return COLUMNS, _row(driver, snapshot)


class ListSnapshots(common.Lister):
    """List the snapshots of a volume, oldest first."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_volume_and_pool(parser)
        return parser

    def take_action(self, parsed_args):
        driver = self.app.node.driver(parsed_args.pool)
        snapshots = driver.list_snapshots(parsed_args.volume)
        return COLUMNS, [_row(driver, snapshot) for snapshot in snapshots]


class DeleteSnapshot(common.Command):
    """Delete snapshots; one that does not exist is not an error."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_volume_and_pool(parser)
        parser.add_argument('names', metavar='NAME', nargs='+',
                            help='the snapshots to delete')
        return parser

    def take_action(self, parsed_args):
        # Check every name before deleting any: bad input changes nothing.
        for name in parsed_args.names:
            names.validate(name, 'snapshot name')
        driver = self.app.node.driver(parsed_args.pool)
        for name in parsed_args.names:
            driver.delete_snapshot(parsed_args.volume, name)


class RevertSnapshot(common.Command):
    """Return a volume to the content of one of its snapshots."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_volume_and_pool(parser)
        parser.add_argument('name', metavar='NAME', help='the snapshot')
        return parser

    def take_action(self, parsed_args):
        driver = self.app.node.driver(parsed_args.pool)
        driver.revert_snapshot(parsed_args.volume, parsed_args.name)
