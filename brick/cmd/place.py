# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``brick place``: where would these volumes go?  (Nothing is claimed.)

::

    brick place --size 20G --locality rack --tags ssd
    brick place --property brick:local_gb=20 --property brick:count=2
    brick place --size 1T --explain        # why, or why not

The request is built as the scheduler builds it
(:func:`brick.scheduler.request.build`): options win over ``--hint``
scheduler hints, which win over ``--property`` flavor extra specs.
When nothing fits the command exits 4 with the explanation's summary on
stderr (the pools each filter removed, by name, and a wider locality
that would fit); ``--explain`` prints the whole explanation (per-filter
counts and reasons) on stderr in every case, so stdout stays the
candidates.  A request naming no host considers every pool; an unknown
``--on-host`` or availability zone exits 3.
"""

from brick.cmd import common
from brick.cmd import db as db_command
from brick.scheduler import cache as cache_mod
from brick.scheduler import request
from brick.scheduler import selector as selector_mod
from brick.scheduler import source as source_mod

COLUMNS = ('rank', 'host', 'pools', 'sizes', 'distance', 'score',
           'breakdown')

# option -> request.build argument; each takes one string.
_OPTIONS = (
    ('size', 'SIZE', 'size of each volume, e.g. 20G'),
    ('count', 'N', 'number of volumes (default 1)'),
    ('driver', 'DRIVER,...', 'drivers the volumes may use'),
    ('format', 'FORMAT', 'raw, qcow2 or vdi'),
    ('thin', 'BOOL', 'true: thin pools only; false: thick only'),
    ('locality', 'TIER', 'host, rack, zone or any (default host)'),
    ('locality_mode', 'MODE', 'required (default) or preferred'),
    ('locality_max', 'TIER', 'widest tier preferred locality may use'),
    ('availability_zone', 'ZONE', 'the consumer and the pools in this '
     'availability zone'),
    ('rack', 'RACK', 'the consumer and the pools in this rack'),
    ('tags', 'TAG,...', 'tags the pool must carry'),
    ('forbidden_tags', 'TAG,...', 'tags the pool must not carry'),
    ('group_policy', 'POLICY', 'none, affinity or anti-affinity'),
    ('max_volumes_per_host', 'N', 'skip hosts holding this many'),
    ('local_to_instance', 'ID', 'stay on the host of this instance'),
    ('near_volume', 'NAME', 'go to the host of this volume'),
    ('same_host', 'ID,...', 'share the host of these volumes/consumers'),
    ('different_host', 'ID,...', 'avoid the hosts of these'),
)


def explain(explanation):
    """The lines of an :class:`~brick.scheduler.explanation.Explanation`
    for people: the request, the tiers searched, each filter's counts
    and commonest reasons, and the ranked candidates."""
    data = explanation.as_dict()
    lines = ['request: %s' % data['request']]
    lines.extend('note: %s' % note for note in data['notes'])
    for stage in data['stages']:
        lines.append('tier %s: %d examined, %d feasible, %d candidates' % (
            stage['name'], stage['examined'], stage['feasible'],
            stage['candidates']))
    for stats in data['filters']:
        lines.append('filter %s: %d examined, %d removed%s' % (
            stats['name'], stats['examined'], stats['removed'],
            ' (%s%s)' % (', '.join(stats['named']),
                         ', ...' if stats['removed'] > len(stats['named'])
                         else '') if stats['named'] else ''))
        lines.extend('  %s, e.g. %s' % (r['kind'], r['example'])
                     for r in stats['reasons'])
    lines.extend('dropped %s: %s' % item for item in sorted(
        data['dropped'].items()))
    lines.extend('would fit at locality %s: %d pool(s)' % item
                 for item in data['wider'].items() if item[1])
    if explanation.candidates:
        lines.extend('%d. %s' % (c.rank, c.describe())
                     for c in explanation.candidates[:20])
    else:
        lines.append('no candidate')
    return lines


class Place(common.Lister):
    """Rank the hosts and pools a request's volumes could go to."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        for dest, metavar, text in _OPTIONS:
            # --format is cliff's output format.
            option = 'volume-format' if dest == 'format' else \
                dest.replace('_', '-')
            parser.add_argument('--' + option, dest=dest, metavar=metavar,
                                help=text)
        parser.add_argument(
            '--property', metavar='KEY=VALUE', action='append',
            dest='properties',
            help='a flavor extra spec such as brick:local_gb=20 '
                 "(repeat; see 'brick flavor validate')")
        parser.add_argument('--hint', metavar='KEY=VALUE', action='append',
                            dest='hints', help='a scheduler hint (repeat)')
        parser.add_argument('--on-host', metavar='HOST', action='append',
                            dest='on_hosts',
                            help='the consumer may only run here (repeat)')
        parser.add_argument('--exclude-host', metavar='HOST',
                            action='append', dest='exclude_hosts',
                            help='leave this host out (repeat)')
        parser.add_argument('--consumer', metavar='ID',
                            help='the instance or volume id')
        parser.add_argument('--explain', action='store_true',
                            help='print why on stderr')
        db_command.add_connection_argument(parser)
        return parser

    def take_action(self, parsed_args):
        args = {dest: getattr(parsed_args, dest) for dest, _, _ in _OPTIONS}
        spec = request.build(
            flavor=common.parse_pairs(parsed_args.properties, '--property'),
            hints=common.parse_pairs(parsed_args.hints, '--hint'),
            hosts=parsed_args.on_hosts,
            exclude_hosts=parsed_args.exclude_hosts or None,
            consumer=parsed_args.consumer, **args)
        with db_command.inventory(self.app, parsed_args) as db:
            cache = cache_mod.StateCache()
            cache.refresh(source_mod.StoreSource(db))
            selector = selector_mod.Selector.from_conf(
                self.app.conf, cache,
                locator=source_mod.StoreLocator(db, cache))
            try:
                decision = selector.select(spec)
            except Exception as err:
                found = getattr(err, 'explanation', None)
                if parsed_args.explain and found is not None:
                    self._explain(found)
                raise
        if parsed_args.explain:
            self._explain(decision.explanation)
        return COLUMNS, [
            (c.rank, c.host, common.Items(c.pools),
             common.Sizes([p.size for p in c.placements]), c.distance,
             round(c.score, 6),
             common.Mapping({k: round(v, 6) for k, v in c.breakdown.items()}))
            for c in decision.candidates]

    def _explain(self, explanation):
        for line in explain(explanation):
            self.app.stderr.write('%s\n' % line)
