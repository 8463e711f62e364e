# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``brick reservation list`` and ``brick reservation reap``.

A reservation is space claimed for a volume being created; it is
committed into an allocation, released, or expires
(:mod:`brick.inventory.reservations`).  ``reap`` frees expired ones now
rather than at the next claim that needs the room.
"""

from brick import exception
from brick.cmd import common
from brick.cmd import db as db_command
from brick.db import models
from brick.inventory import pools
from brick.inventory import reservations

COLUMNS = ('id', 'request_id', 'consumer', 'pool_id', 'pool', 'size',
           'volume', 'state', 'expires_at', 'created_at')


class ListReservations(common.Lister):
    """List reservations, oldest first."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--consumer', metavar='ID',
                            help='only those of this instance or volume')
        parser.add_argument('--request-id', metavar='ID',
                            help='only those of one claim')
        parser.add_argument('--pool-id', metavar='ID', type=int,
                            help='only those in this pool')
        parser.add_argument('--state', metavar='STATE',
                            help='only those in this state: %s' % ', '.join(
                                models.RESERVATION_STATES))
        db_command.add_connection_argument(parser)
        return parser

    def take_action(self, parsed_args):
        if parsed_args.state is not None and \
                parsed_args.state not in models.RESERVATION_STATES:
            raise exception.InvalidValue(
                field='--state', value=parsed_args.state,
                allowed=', '.join(models.RESERVATION_STATES))
        with db_command.inventory(self.app, parsed_args) as db:
            found = reservations.list_reservations(
                db, consumer=parsed_args.consumer,
                request_id=parsed_args.request_id,
                pool_id=parsed_args.pool_id, state=parsed_args.state)
            keys = {pool.id: pool.key for pool in pools.list_pools(db)}
        return COLUMNS, [
            (r.id, r.request_id, r.consumer, r.pool_id, keys.get(r.pool_id),
             common.Size(r.size), r.volume, r.state,
             common.timestamp(r.expires_at), common.timestamp(r.created_at))
            for r in found]


class ReapReservations(common.ShowOne):
    """Expire every reservation past its expiry, freeing its space.

    With --purge, also delete finished reservations (committed,
    released, expired) older than that many seconds; allocations stay.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--purge', metavar='SECONDS', type=int,
                            help='also delete finished reservations older '
                                 'than this')
        db_command.add_connection_argument(parser)
        return parser

    def take_action(self, parsed_args):
        if parsed_args.purge is not None and parsed_args.purge < 0:
            raise exception.InvalidValue(field='--purge',
                                         value=parsed_args.purge,
                                         allowed='0 seconds or more')
        with db_command.inventory(self.app, parsed_args) as db:
            expired = reservations.reap(db)
            purged = 0
            if parsed_args.purge is not None:
                purged = reservations.purge(db, parsed_args.purge)
        return ('expired', 'purged'), (expired, purged)
