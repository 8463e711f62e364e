# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.

"""``brick node pool ...``: this node's pools and their capacity;
``brick node report``, which writes them into the inventory; ``brick
node reconcile``, which compares every node with the inventory.

The figures are the drivers' capacity reports, read from the host now.
Every volume on a pool counts against it: a report adopts volumes brick
made outside a placement and counts the others as used (``unmanaged``;
see :mod:`brick.inventory.census`).
"""

import argparse
from typing import Any

from brick import exception
from brick.cmd import common
from brick.cmd import db as db_command
from brick.cmd import pool as pool_command
from brick.inventory import census
from brick.inventory import hosts as hosts_mod
from brick.inventory import pools
from brick.node import agent
from brick.node import monitor
from brick.node import remote

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
    """Write this node's pools into the inventory, and reconcile them.

    Each pool of the node whose name the inventory has for this host
    ([brick_node]host) gets the driver's total, step and largest volume;
    volumes brick made outside a placement become allocations of
    consumer node:<host>, and every other volume no allocation explains
    counts as used.  A node pool missing from the inventory is reported
    on stderr (exit 3); the others are still written.  Run on the node
    itself, with access to the database (the embedded deployment); with
    brick-node services, the node reports by itself.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        db_command.add_connection_argument(parser)
        return parser

    def take_action(self, parsed_args: argparse.Namespace
                    ) -> tuple[tuple, list]:
        node = self.app.node
        host = self.app.conf.brick_node.host
        with db_command.inventory(self.app, parsed_args) as db:
            known = {pool.name for pool in pools.list_pools(db, host)}
            for name in node.names():
                if name not in known:
                    # Said here, with the fix, rather than by the census,
                    # which only logs it.
                    err = exception.PoolNotFound(
                        name=name, reason="host %s has no such pool in the "
                        "inventory; add it with 'brick pool create %s "
                        "--host %s --driver %s'" % (
                            host, name, host, node.driver(name).name))
                    self.defer(err)
            found = census.apply(db, agent.NodeAgent(host, {
                name: node.driver(name) for name in node.names()
                if name in known}).report())
        return pool_command.COLUMNS, [pool_command.row(found.pools[name])
                                      for name in sorted(found.pools)]


RECONCILE_COLUMNS = ('host', 'pool', 'volume', 'kind', 'size', 'action',
                     'detail')


class Reconcile(common.Lister):
    """Compare what nodes hold with what the inventory says.

    Asks each node for a full report and runs the census on it: volumes
    brick made outside a placement are adopted (consumer node:<host> or
    ganeti:<uuid>), adopted allocations whose volume is gone are freed,
    orphans of rolled-back placements older than
    [brick_monitor]orphan_grace are deleted by their node, and everything
    else (volumes of stopped placements, allocations whose volume is
    missing, volumes brick did not make) is listed, never deleted.  With
    --dry-run nothing is changed.  With a message broker configured the
    nodes are reached over RPC (default: every host with pools of its
    own); without, this host's node.
    """

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument('--host', metavar='HOST', action='append',
                            dest='hosts',
                            help='only this host (repeat for several)')
        parser.add_argument('--dry-run', action='store_true',
                            help='change nothing; list the differences '
                                 'and what would be done')
        db_command.add_connection_argument(parser)
        return parser

    def take_action(self, parsed_args: argparse.Namespace
                    ) -> tuple[tuple, list]:
        conf = self.app.conf
        group = conf.brick_monitor
        nodes = remote.from_conf(conf)
        rows: list[tuple[object, ...]] = []
        try:
            with db_command.inventory(self.app, parsed_args) as db:
                for host in self._hosts(db, nodes, parsed_args.hosts):
                    node = self.app.node if nodes is None else \
                        nodes.get(host)
                    try:
                        found = census.apply(
                            db, node.report(), grace=group.orphan_grace,
                            dry_run=parsed_args.dry_run,
                            delete_orphans=group.delete_orphans)
                        if not parsed_args.dry_run:
                            monitor.delete(
                                node, found,
                                nodes.api if nodes is not None else None)
                    except exception.BrickException as err:
                        self.defer(err)
                        continue
                    rows.extend(
                        (d.host, d.pool, d.volume, d.kind,
                         common.Size(d.size), d.action, d.detail)
                        for d in found.differences)
        finally:
            if nodes is not None:
                nodes.close()
        return RECONCILE_COLUMNS, rows

    def _hosts(self, db: Any, nodes: Any, wanted: list[str] | None
               ) -> list[str]:
        if nodes is None:
            here = self.app.conf.brick_node.host
            if wanted and wanted != [here]:
                raise exception.InvalidValue(
                    field='--host', value=wanted,
                    allowed='%s (this host) only: without a message broker '
                            '([brick_node]transport_url) other nodes cannot '
                            'be reached' % here)
            return [here]
        if wanted:
            for host in wanted:
                hosts_mod.get_host(db, host)  # NotFound if unknown
            return wanted
        return sorted({pool.owner for pool in pools.list_pools(db)
                       if pool.scope == 'host'})
