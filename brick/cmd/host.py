# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``brick host ...``: the hosts of the inventory.

A host is ``enabled``, ``disabled`` or ``down`` (enabled, but not heard
from), the words of pools and of the inventory file.  ``disable`` keeps
the scheduler away from it (its heartbeats do not undo that); ``enable``
makes it ``enabled`` again.
"""

from brick.cmd import common
from brick.cmd import db as db_command
from brick.inventory import hosts as hosts_mod
from brick.inventory import pools

COLUMNS = ('name', 'state', 'region', 'zone', 'rack', 'pools',
           'heartbeat_at', 'state_reason')
SHOW_COLUMNS = COLUMNS + ('updated_at',)


def _rows(db, hosts, columns):
    keys = {}
    for pool in pools.list_pools(db):
        if pool.scope == 'host':
            keys.setdefault(pool.owner, []).append(pool.key)
    rows = []
    for host in hosts:
        values = {'name': host.name, 'state': host.state,
                  'region': host.place.region, 'zone': host.place.zone,
                  'rack': host.place.rack,
                  'pools': common.Items(keys.get(host.name, ())),
                  'heartbeat_at': common.timestamp(host.heartbeat_at),
                  'updated_at': common.timestamp(host.updated_at),
                  'state_reason': host.state_reason}
        rows.append(tuple(values[column] for column in columns))
    return rows


def _add_name(parser, text='the host'):
    parser.add_argument('name', metavar='NAME', help=text)
    db_command.add_connection_argument(parser)


class CreateHost(common.ShowOne):
    """Add a host, in a rack (and so its zone) or in a zone."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_name(parser, 'the new host, as the compute service names it')
        parser.add_argument('--zone', metavar='ZONE',
                            help='the zone it is in (must exist)')
        parser.add_argument('--rack', metavar='RACK',
                            help='the rack it is in (must exist)')
        parser.add_argument('--disabled', action='store_true',
                            help='create it disabled')
        return parser

    def take_action(self, parsed_args):
        with db_command.inventory(self.app, parsed_args) as db:
            host = hosts_mod.create_host(
                db, parsed_args.name, zone=parsed_args.zone,
                rack=parsed_args.rack,
                state='disabled' if parsed_args.disabled else 'enabled')
            return SHOW_COLUMNS, _rows(db, [host], SHOW_COLUMNS)[0]


class ListHosts(common.Lister):
    """List the hosts with their place, state and pools."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        db_command.add_connection_argument(parser)
        return parser

    def take_action(self, parsed_args):
        with db_command.inventory(self.app, parsed_args) as db:
            return COLUMNS, _rows(db, hosts_mod.list_hosts(db), COLUMNS)


class ShowHost(common.ShowOne):
    """Show one host."""

    state: str | None = None
    """Set by the subclasses that change the host's state first."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_name(parser)
        return parser

    def take_action(self, parsed_args):
        with db_command.inventory(self.app, parsed_args) as db:
            if self.state is not None:
                hosts_mod.set_host_state(db, parsed_args.name, self.state)
            host = hosts_mod.get_host(db, parsed_args.name)
            return SHOW_COLUMNS, _rows(db, [host], SHOW_COLUMNS)[0]


class EnableHost(ShowHost):
    """Enable a host: the scheduler may place on it again."""

    state = 'enabled'


class DisableHost(ShowHost):
    """Keep the scheduler away from a host; its volumes stay."""

    state = 'disabled'
