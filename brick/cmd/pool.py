# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``brick pool ...``: the pools of the inventory (every host's).

These are OpenNebula's storage-backend verbs (create, list, show,
update, enable, disable, delete, top) on the inventory database; ``brick
node pool`` shows this node's own pools as its drivers see them.

A pool is named by its id, by its key (``host:compute-1/nvme``,
``rack:rack-a1/nfs``, ``zone:zone-a/ceph``), or by its name with
``--host``, ``--rack`` or ``--zone``.
"""

import argparse
import re
import time

from brick import exception
from brick import units
from brick.cmd import common
from brick.cmd import db as db_command
from brick.inventory import allocations
from brick.inventory import fields
from brick.inventory import pools

COLUMNS = ('id', 'pool', 'driver', 'state', 'place', 'capacity', 'used',
           'unmanaged', 'free', 'cost', 'role', 'tags', 'generation')
"""``pool list`` (and ``inventory show``); ``pool`` is the key."""
SHOW_COLUMNS = ('id', 'pool', 'name', 'scope', 'owner', 'driver', 'state',
                'place', 'total', 'reserved', 'allocation_ratio',
                'capacity', 'used', 'unmanaged', 'free', 'min_unit',
                'max_unit', 'step', 'max_volume', 'cost', 'role', 'tags',
                'generation', 'reported_at', 'updated_at', 'allocations',
                'reservations')
TOP_COLUMNS = ('pool', 'driver', 'state', 'capacity', 'used', 'unmanaged',
               'free', 'used_pct', 'volumes')

_KEY = re.compile(r'(host|rack|zone):([^/]+)/(.+)')
_SIZES = ('total', 'reserved', 'min_unit', 'max_unit', 'step',
          'max_volume')
_NUMBERS = ('allocation_ratio', 'cost')
_CLEAR = '\033[H\033[2J'


def place(pool):
    """``region/zone/rack/host`` of a pool, levels it has."""
    where = pool.place
    return '/'.join(level for level in (where.region, where.zone,
                                        where.rack, where.host) if level)


def row(pool, columns=COLUMNS, **extra):
    """The row of *columns* for an inventory
    :class:`~brick.inventory.pools.Pool`."""
    values = dict(extra, id=pool.id, pool=pool.key, name=pool.name,
                  scope=pool.scope, owner=pool.owner, driver=pool.driver,
                  state=pool.state, place=place(pool),
                  allocation_ratio=pool.allocation_ratio, cost=pool.cost,
                  role=pool.role or '',
                  tags=common.Items(pool.tags), generation=pool.generation,
                  reported_at=common.timestamp(pool.reported_at),
                  updated_at=common.timestamp(pool.updated_at))
    for field in _SIZES + ('capacity', 'used', 'unmanaged', 'free'):
        values[field] = common.Size(getattr(pool, field))
    return tuple(values[column] for column in columns)


def add_owner_arguments(parser, purpose):
    group = parser.add_mutually_exclusive_group()
    for scope in ('host', 'rack', 'zone'):
        group.add_argument('--%s' % scope, metavar='NAME',
                           help='%s: the pool of this %s' % (purpose, scope))


def add_pool_argument(parser):
    parser.add_argument(
        'pool', metavar='POOL',
        help='the pool: its id, its key (host:HOST/NAME, rack:RACK/NAME, '
             'zone:ZONE/NAME), or its name with --host, --rack or --zone')
    add_owner_arguments(parser, 'with a name as POOL')
    db_command.add_connection_argument(parser)


def find(db, parsed_args):
    """The :class:`~brick.inventory.pools.Pool` the arguments name.

    :raises brick.exception.NotFound: no such pool or owner.
    :raises brick.exception.InvalidValue: POOL is none of the forms.
    """
    given = parsed_args.pool
    owners = {scope: getattr(parsed_args, scope)
              for scope in ('host', 'rack', 'zone')
              if getattr(parsed_args, scope)}
    if given.isdigit() and not owners:
        return pools.get_pool(db, int(given))
    match = _KEY.fullmatch(given)
    if match and not owners:
        scope, owner, name = match.groups()
        return pools.find_pool(db, name, **{scope: owner})
    if owners and not match:
        return pools.find_pool(db, given, **owners)
    raise exception.InvalidValue(
        field='pool', value=given,
        allowed='an id, a key such as host:compute-1/nvme, or a name with '
                'one of --host, --rack or --zone')


def add_field_arguments(parser, creating):
    """The pool fields an operator sets (create and update)."""
    sizes = {
        'total': 'size of the pool before a node reports it',
        'reserved': 'space kept free, never claimed',
        'min-unit': 'smallest volume',
        'max-unit': 'largest volume',
        'step': 'volume sizes are rounded up to a multiple of this',
        'max-volume': 'largest volume that fits now',
    }
    for option, text in sizes.items():
        parser.add_argument('--' + option, metavar='SIZE',
                            help=text + ' (e.g. 100G)')
    parser.add_argument('--allocation-ratio', metavar='RATIO',
                        help='over-commit of a thin pool, e.g. 4.0; '
                             'default 1.0' if creating else None)
    parser.add_argument('--cost', metavar='NUMBER',
                        help='cheaper pools are preferred (cost weigher)')
    parser.add_argument('--role', metavar='ROLE',
                        help='what the pool is for, e.g. fast or bulk')
    parser.add_argument('--tags', metavar='TAG,...',
                        help='comma-separated tags requests can ask for '
                             '(brick:tags); an empty string clears them')
    if creating:
        parser.add_argument('--driver', metavar='DRIVER', required=True,
                            help="the volume driver, see 'brick driver "
                                 "list'")
        parser.add_argument('--disabled', action='store_true',
                            help='create it disabled: no claims yet')
    else:
        parser.add_argument('--driver', metavar='DRIVER',
                            help='change the volume driver')


def field_values(parsed_args):
    """``{field: value}`` of the field options given."""
    values = {}
    for field in _SIZES:
        raw = getattr(parsed_args, field)
        if raw is not None:
            values[field] = units.parse(raw, field)
    for field in _NUMBERS:
        raw = getattr(parsed_args, field)
        if raw is not None:
            values[field] = common.parse_number(raw, field)
    if parsed_args.role is not None:
        values['role'] = parsed_args.role or None
    if parsed_args.tags is not None:
        values['tags'] = [tag for tag in parsed_args.tags.split(',') if tag]
    return values


def shown(db, pool):
    """``(SHOW_COLUMNS, row)`` of *pool* with its holdings."""
    held = db.run('pool %s' % pool.id, lambda conn: pools.holdings(
        conn, pool.id), readonly=True)
    return SHOW_COLUMNS, row(pool, SHOW_COLUMNS, allocations=held[0],
                             reservations=held[1])


class CreatePool(common.ShowOne):
    """Add a pool to the inventory, owned by a host, a rack or a zone.

    The owner must exist (brick host create, or brick inventory apply).
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', metavar='NAME', help='the new pool')
        add_owner_arguments(parser, 'owner')
        add_field_arguments(parser, creating=True)
        db_command.add_connection_argument(parser)
        return parser

    def take_action(self, parsed_args):
        values = field_values(parsed_args)
        if parsed_args.disabled:
            values['state'] = 'disabled'
        with db_command.inventory(self.app, parsed_args) as db:
            pool = pools.create_pool(
                db, parsed_args.name, parsed_args.driver,
                host=parsed_args.host, rack=parsed_args.rack,
                zone=parsed_args.zone, **values)
            return shown(db, pool)


def add_tags_filter(parser: argparse.ArgumentParser) -> None:
    """``--tags TAG,...``: only pools with every one of these tags."""
    parser.add_argument('--tags', metavar='TAG,...',
                        help='only pools with every one of these tags '
                             '(comma-separated), as brick:tags asks')


def tags_filter(parsed_args: argparse.Namespace) -> list[str]:
    """The tags of ``--tags``, a list (empty: no filter)."""
    return [tag for tag in (parsed_args.tags or '').split(',') if tag]


class ListPools(common.Lister):
    """List the pools of the inventory with their capacity and usage.

    Filters combine: ``--host compute-1 --tags ssd --state enabled``.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--host', metavar='NAME',
                            help='only the pools of this host')
        parser.add_argument('--state', choices=('enabled', 'disabled'),
                            help='only pools in this state')
        add_tags_filter(parser)
        db_command.add_connection_argument(parser)
        return parser

    def take_action(self, parsed_args):
        with db_command.inventory(self.app, parsed_args) as db:
            found = pools.list_pools(db, host=parsed_args.host,
                                     state=parsed_args.state,
                                     tags=tags_filter(parsed_args))
        return COLUMNS, [row(pool) for pool in found]


class ShowPool(common.ShowOne):
    """Show every field of one pool, with what it holds."""

    state: str | None = None
    """Set by the subclasses that change the pool's state first."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        add_pool_argument(parser)
        return parser

    def take_action(self, parsed_args):
        with db_command.inventory(self.app, parsed_args) as db:
            pool = find(db, parsed_args)
            if self.state is not None:
                pool = pools.update_pool(db, pool.id, state=self.state)
            return shown(db, pool)


class UpdatePool(common.ShowOne):
    """Change fields of a pool; the same values again change nothing."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        add_pool_argument(parser)
        add_field_arguments(parser, creating=False)
        parser.add_argument(
            '--expected-generation', metavar='N', type=int,
            help='fail (exit 4) unless the pool is at this generation, '
                 'so that two operators do not overwrite each other')
        return parser

    def take_action(self, parsed_args):
        changes = field_values(parsed_args)
        if parsed_args.driver is not None:
            changes['driver'] = parsed_args.driver
        with db_command.inventory(self.app, parsed_args) as db:
            pool = find(db, parsed_args)
            pool = pools.update_pool(
                db, pool.id, parsed_args.expected_generation, **changes)
            return shown(db, pool)


class EnablePool(ShowPool):
    """Let a pool take new claims again."""

    state = 'enabled'


class DisablePool(ShowPool):
    """Stop new claims in a pool; what it holds stays."""

    state = 'disabled'


class DeletePool(common.Command):
    """Delete a pool; one that does not exist is not an error.

    A pool that holds allocations or live reservations is refused
    (exit 4) unless --force, which deletes them with it.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        add_pool_argument(parser)
        parser.add_argument('--force', action='store_true',
                            help='also delete what the pool holds')
        return parser

    def take_action(self, parsed_args):
        with db_command.inventory(self.app, parsed_args) as db:
            try:
                pool = find(db, parsed_args)
            except exception.NotFound:
                return
            pools.delete_pool(db, pool.id, force=parsed_args.force)


class TopPools(common.Lister):
    """Show pool usage, fullest first, refreshed until Ctrl-C.

    --iterations N stops after N views; --interval sets the seconds
    between them.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--interval', metavar='SECONDS', default='2',
                            help='seconds between refreshes (default 2)')
        parser.add_argument('--iterations', metavar='N', type=int,
                            default=0,
                            help='stop after N views (default: never)')
        parser.add_argument('--host', metavar='NAME',
                            help='only the pools of this host')
        add_tags_filter(parser)
        db_command.add_connection_argument(parser)
        return parser

    def take_action(self, parsed_args):
        wanted = set(fields.tags(tags_filter(parsed_args), '--tags'))
        interval = common.parse_number(parsed_args.interval, 'interval')
        if parsed_args.iterations < 0 or interval < 0:
            raise exception.InvalidValue(
                field='--iterations or --interval',
                value=(parsed_args.iterations, interval),
                allowed='0 or more')
        clear = parsed_args.formatter == 'table' and \
            self.app.stdout.isatty()
        with db_command.inventory(self.app, parsed_args) as db:
            shown_views = 1
            while True:
                rows = self._view(db, parsed_args.host, wanted)
                if parsed_args.formatter == 'table':
                    self.app.stdout.write('%sbrick pool top: %s, %d pools\n'
                                          % (_CLEAR if clear else '',
                                             time.strftime('%H:%M:%S'),
                                             len(rows)))
                if shown_views == parsed_args.iterations:
                    return TOP_COLUMNS, rows
                self.produce_output(parsed_args, TOP_COLUMNS, rows)
                self.app.stdout.flush()
                shown_views += 1
                time.sleep(interval)

    @staticmethod
    def _view(db, host, tags):
        def read(conn):
            found = pools.read_pools(conn)
            return found, allocations.volume_counts(conn)
        found, counts = db.run('pool top', read, readonly=True)
        if host is not None:
            found = [pool for pool in found if pool.place.host == host]
        found = [pool for pool in found if tags <= set(pool.tags)]

        def fullness(pool):
            held = pool.used + pool.unmanaged
            return held / pool.capacity if pool.capacity else 0.0
        found = sorted(found, key=lambda pool: (-fullness(pool), pool.key))
        return [(pool.key, pool.driver, pool.state,
                 common.Size(pool.capacity), common.Size(pool.used),
                 common.Size(pool.unmanaged), common.Size(pool.free),
                 round(100 * fullness(pool), 2), counts.get(pool.id, 0))
                for pool in found]
