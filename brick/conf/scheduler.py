# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The ``[brick_scheduler]`` group: how candidates are filtered and ranked.

:class:`brick.scheduler.settings.Settings` reads this group once; the
scheduler itself never looks at a ``ConfigOpts``.
"""

from oslo_config import cfg

import brick.conf

GROUP = cfg.OptGroup(
    'brick_scheduler',
    title='Scheduler',
    help='Which filters and weighers choose a pool for a volume, in what '
         'order, and how much each weigher counts.')

DEFAULT_FILTERS = ['state', 'availability_zone', 'driver', 'tags',
                   'locality', 'instance_locality', 'affinity',
                   'anti_affinity', 'max_volumes', 'capacity']
DEFAULT_WEIGHERS = ['locality', 'cost', 'capacity']

OPTS: list[cfg.Opt] = [
    cfg.ListOpt(
        'enabled_filters',
        default=DEFAULT_FILTERS,
        help="""
Filters that every (host, pool) candidate must pass, in the order they
run: a candidate stops at the first filter it fails, so cheap and
selective filters go first.  Names are entry points of the
``brick.scheduler.filters`` namespace.  Leaving a filter out turns its
check off entirely, for example ``max_volumes`` when no request sets a
limit and ``[brick_scheduler]max_volumes_per_host`` is 0.
"""),
    cfg.ListOpt(
        'enabled_weighers',
        default=DEFAULT_WEIGHERS,
        help="""
Weighers that rank the candidates that passed every filter.  Each one
scores every candidate, the scores are scaled to 0..1 over the
candidates, multiplied by the weigher's ``*_weight_multiplier`` and
summed.  Names are entry points of the ``brick.scheduler.weighers``
namespace: ``capacity``, ``cost``, ``locality``, ``best_fit``.
"""),
    cfg.FloatOpt(
        'capacity_weight_multiplier',
        default=1.0,
        help="""
Weight of free space left in the pool after the volume is placed.  A
positive value spreads volumes over the emptiest pools; a negative value
packs them into the fullest pools that still fit, which keeps whole pools
free at the price of hot spots.
"""),
    cfg.FloatOpt(
        'cost_weight_multiplier',
        default=1.0,
        help="""
Weight of the operator's cost of a pool (the pool's ``cost``): a positive
value prefers cheaper pools.  With the default
``[brick_scheduler]weigher_precedence`` cost ranks before free space: the
cheapest pool that fits wins, and ``capacity`` (spread or pack) decides
only between pools of equal cost.
"""),
    cfg.FloatOpt(
        'locality_weight_multiplier',
        default=10.0,
        help="""
Weight of the distance between the instance's host and the pool (same
host, same rack, same zone, elsewhere).  The default is larger than the
other multipliers together so that, under ``preferred`` locality, a closer
tier always wins; lower it to trade locality for balance.
"""),
    cfg.FloatOpt(
        'best_fit_weight_multiplier',
        default=1.0,
        help="""
Weight of how closely the volume fits the pool's largest free extent (the
largest volume the pool could take): a positive value prefers the
tightest fit, leaving large extents whole for large volumes.  Only used
when ``best_fit`` is in ``[brick_scheduler]enabled_weighers``.
"""),
    cfg.DictOpt(
        'weigher_precedence',
        default={'locality': '2', 'cost': '1'},
        help="""
Which weighers rank first, as ``name:level`` pairs (a weigher not named
gets its own default: 2 for ``locality``, 1 for ``cost``, 0 for the
others).  Candidates are compared on the summed weighted scores of the
highest level first; only candidates equal there (to 9 decimals) are
compared on the next level, and so on.  The default ranks the closest
pools first, then the cheapest, then by free space (spread with a
positive ``capacity_weight_multiplier``, pack with a negative one).  Give
every weigher the same level (``locality:0,cost:0``) to rank by the
plain weighted sum of all of them, as Nova and Cinder do.
"""),
    cfg.IntOpt(
        'host_subset_size',
        default=1,
        min=1,
        help="""
Choose at random among this many best candidates instead of always the
best one.  1 (the default) is deterministic: ties are broken by host and
pool name.  Larger values make concurrent schedulers pick different
pools, so fewer claims conflict, at the price of slightly worse choices.
"""),
    cfg.IntOpt(
        'max_results',
        default=5,
        min=1,
        help="""
How many ranked candidates a decision returns: the first is the choice,
the others are alternates the placement workflow tries if reserving or
creating on the first fails.  Under ``preferred`` locality the search
widens to the next tier while fewer than this many candidates were found.
"""),
    cfg.IntOpt(
        'max_considered',
        default=0,
        min=0,
        deprecated_for_removal=True,
        deprecated_reason='Every decision now filters and weighs every '
                          'pool (the exact best answer) in a few '
                          'milliseconds at 100,000 hosts; there is '
                          'nothing left to cut short.',
        help="""
Ignored.  It used to stop the search after this many candidates, which
made the answer approximate.
"""),
    cfg.IntOpt(
        'max_volumes_per_host',
        default=0,
        min=0,
        help="""
Largest number of volumes the host-scoped pools of one host may hold
together (0: no limit).  A request may set a lower limit of its own
(``brick:max_volumes_per_host``).  Pools shared by a rack or a zone do not
count towards any host.
"""),
    cfg.FloatOpt(
        'refresh_interval',
        default=10.0,
        min=0,
        help="""
Seconds between two refreshes of the scheduler's in-memory view of hosts
and pools from the inventory database.  A refresh reads only the rows
changed since the previous one, and the pools and hosts deleted since
(the inventory's tombstones); it never reads everything again.
Reservations made by this process are visible to its next decision at
once, whatever the interval; the interval
bounds how long other processes' changes stay unseen (0: refresh before
every decision).
"""),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    brick.conf.register_group(conf, GROUP, OPTS)


def list_opts() -> dict[cfg.OptGroup, list[cfg.Opt]]:
    return {GROUP: OPTS}
