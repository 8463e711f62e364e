# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.

"""``brick node pool ...``: this node's pools and their capacity, and
``brick node report``, which writes that capacity into the inventory.

The figures are the drivers' capacity reports, read from the host now;
volumes brick did not create count as used (``unmanaged``).
"""

from brick import exception
from brick.cmd import common
from brick.cmd import db as db_command
from brick.cmd import pool as pool_command
from brick.inventory import pools
from brick.node import agent

LIST_COLUMNS = ('name', 'driver', 'location', 'total', 'free',
                'provisioned', 'allocation_ratio', 'max_volume', 'volumes',
                'unmanaged', 'status')
SHOW_COLUMNS = LIST_COLUMNS[:-1] + ('step', 'unmanaged_volumes',
                                    'capabilities', 'status')

# The driver options that say where a pool lives, most specific last
# (lvm-thin: volume_group, then thin_pool).
_LOCATION_OPTIONS = ('path', 'volume_group', 'thin_pool')


def location(driver):
    """Where the pool lives: a directory, ``VG`` or ``VG/thin pool``."""
    parts = [str(getattr(driver, dest)) for dest in _LOCATION_OPTIONS
             if getattr(driver, dest, None)]
    return '/'.join(parts) or None


def _row(driver, report, status, columns):
    values = {
        'name': driver.pool,
        'driver': driver.name,
        'location': location(driver),
        'status': status,
        'capabilities': common.Items(sorted(
            capability.value for capability in driver.capabilities)),
    }
    for field in ('total', 'free', 'provisioned', 'max_volume', 'step',
                  'unmanaged'):
        values[field] = common.Size(getattr(report, field, None))
    for field in ('allocation_ratio', 'volumes', 'unmanaged_volumes'):
        values[field] = getattr(report, field, None)
    return tuple(values[column] for column in columns)


class ListPools(common.Lister):
    """List this node's pools with their capacity."""

    def take_action(self, parsed_args):
        node = self.app.node
        rows = []
        for name in node.names():
            driver = node.driver(name, check=False)
            try:
                report, status = node.driver(name).capacity(), 'ok'
            except Exception as err:
                # Show every pool; a broken one is marked and the command
                # exits non-zero with its error on stderr.
                self.defer(err)
                report, status = None, 'unavailable'
            rows.append(_row(driver, report, status, LIST_COLUMNS))
        return LIST_COLUMNS, rows


class ShowPool(common.ShowOne):
    """Show one pool: capacity, size step and driver capabilities."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', metavar='NAME', nargs='?',
                            help="the pool (default: 'raw', or the only "
                                 "pool of the node)")
        return parser

    def take_action(self, parsed_args):
        driver = self.app.node.driver(parsed_args.name)
        return SHOW_COLUMNS, _row(driver, driver.capacity(), 'ok',
                                  SHOW_COLUMNS)


class ReportPools(common.Lister):
    """Write this node's pool capacity into the inventory.

    Each pool of the node whose name the inventory has for this host
    ([brick_node]host) gets the driver's total, step, largest volume and
    the space of volumes brick did not create.  A node pool missing from
    the inventory is reported on stderr (exit 3); the others are still
    written.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        db_command.add_connection_argument(parser)
        return parser

    def take_action(self, parsed_args):
        node = self.app.node
        host = self.app.conf.brick_node.host
        with db_command.inventory(self.app, parsed_args) as db:
            known = {pool.name for pool in pools.list_pools(db, host)}
            for name in node.names():
                if name not in known:
                    # Said here, with the fix, rather than by the agent,
                    # which only logs it.
                    err = exception.PoolNotFound(
                        name=name, reason="host %s has no such pool in the "
                        "inventory; add it with 'brick pool create %s "
                        "--host %s --driver %s'" % (
                            host, name, host, node.driver(name).name))
                    self.defer(err)
            stored = agent.NodeAgent(host, {
                name: node.driver(name) for name in node.names()
                if name in known}).report(db)
        return pool_command.COLUMNS, [pool_command.row(pool)
                                      for pool in stored.values()]
