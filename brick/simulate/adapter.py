# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Every call the simulation makes into the scheduler, in one module.

The rest of :mod:`brick.simulate` sees plain records (:class:`PoolInfo`,
:class:`Placed`, :class:`Refusal`) and this module's
:class:`Scheduler`; nothing else imports :mod:`brick.scheduler`.  What
it uses of the scheduler is its public surface:

* requests: :func:`brick.workflow.tasks.stored_request`, what
  :class:`brick.api.API` stores for a boot or a volume (a boot's
  default locality included), and
  :func:`brick.workflow.tasks.build_spec`, the workflow's own path from
  it to a :class:`~brick.scheduler.request.RequestSpec`;
* the state: :class:`~brick.scheduler.cache.StateCache` filled with
  :meth:`~brick.scheduler.cache.StateCache.apply` from
  :class:`~brick.scheduler.cache.Changes`, whose rows are
  :class:`~brick.scheduler.state.HostState` and
  :class:`~brick.scheduler.state.PoolState` objects built from a file
  (:func:`rows_from_file`) or read by
  :meth:`brick.scheduler.source.StoreSource.changes` (a live database);
* the decision: :class:`~brick.scheduler.selector.Selector` built from
  :class:`~brick.scheduler.settings.Settings`,
  :meth:`~brick.scheduler.selector.Selector.select` (a
  :class:`~brick.scheduler.candidate.Decision`, or
  :exc:`~brick.exception.NoValidHost` with its
  :class:`~brick.scheduler.explanation.Explanation`); after a refusal a
  second selector with the same filters, the static ones first, names
  the blocking filter (:func:`blocking`);
* claims: :meth:`~brick.scheduler.cache.StateCache.claim` and
  :meth:`~brick.scheduler.cache.StateCache.release` under the
  selector's lock, as ``brick.workflow.services.Services.claimed`` and
  ``released`` do;
* pairing: a :class:`~brick.scheduler.context.StaticLocator` kept by the
  simulation, which knows where every consumer it placed is.

Claims are the cache's arithmetic, the same the workflow applies
between two refreshes, and not
the inventory's SQL claim: in a single simulated process nothing races,
so the SQL's conditional UPDATE and the capacity filter answer the same,
and the SQL would cost a millisecond a claim.  Before claiming an
alternate, :meth:`Scheduler.reserve` makes the SQL claim's one check
(the candidate still fits beside the ones reserved before it), so a
reserve of ``reserve_count`` candidates that share a pool behaves as
``brick.workflow.tasks.ReserveTask`` does.
"""

import collections.abc
import dataclasses

from oslo_config import cfg

from brick import exception
from brick.conf import scheduler as scheduler_conf
from brick.db import engine
from brick.inventory import fields
from brick.inventory import file as file_mod
from brick.inventory import hosts as hosts_mod
from brick.scheduler import cache as cache_mod
from brick.scheduler import context
from brick.scheduler import filters as filters_mod
from brick.scheduler import request as request_mod
from brick.scheduler import selector as selector_mod
from brick.scheduler import settings as settings_mod
from brick.scheduler import source
from brick.scheduler import state as state_mod
from brick.scheduler import weighers as weighers_mod
from brick.workflow import tasks

TIER_NAMES = dict(request_mod.TIER_NAMES)
"""Distance -> locality name: 0 host, 1 rack, 2 zone, 3 any."""
STATIC_FILTERS = ('availability_zone', 'driver', 'tags')
"""Filters whose verdict depends only on what a pool is and where it
stands, not on its usage or on what else is placed: they decide which
pools a kind of request can use at all."""
SETTINGS_OPTIONS = {opt.dest: opt for opt in scheduler_conf.OPTS
                    if opt.dest != 'refresh_interval'
                    and not opt.deprecated_for_removal}
"""``[brick_scheduler]`` options a configuration may set (not the
refresh interval: a simulation has nothing to refresh from; not an
option deprecated for removal, which the scheduler ignores)."""
_MULTIPLIER = '_weight_multiplier'
_FIELDS = {'weigher_precedence': 'precedence'}
"""Options whose :class:`~brick.scheduler.settings.Settings` field has
another name."""


@dataclasses.dataclass(frozen=True)
class PoolInfo:
    """What a pool is (it does not change while a simulation runs)."""

    key: str
    scope: str
    host: str | None
    rack: str | None
    zone: str | None
    driver: str
    tags: tuple
    cost: float


@dataclasses.dataclass(frozen=True)
class Placed:
    """The chosen candidate of a decision."""

    host: str
    placements: tuple
    """``((pool key, bytes, distance), ...)``, one per volume."""

    @property
    def distance(self) -> int:
        return max(distance for _key, _size, distance in self.placements)


@dataclasses.dataclass(frozen=True)
class Refusal:
    """Why nothing fitted, from the decision's explanation."""

    blocked_by: str
    """The filter that blocked it (:func:`blocking`); ``request`` (it
    names an instance, volume, host, zone or rack the site does not
    have, or a rack outside its zone), ``together`` (no host took every
    volume at once) or ``no-match`` (no filter removed a pool: there
    was none to examine)."""
    reason: str
    """The kind of that filter's commonest reason."""
    summary: str
    """The explanation's one-paragraph summary."""


@dataclasses.dataclass
class Held:
    """Space one candidate holds in the cache."""

    host: str
    claims: list
    """``[(pool key, bytes)]``."""


def make_settings(values: dict, base: settings_mod.Settings | None = None,
                  seed: int | None = None) -> settings_mod.Settings:
    """Settings from ``[brick_scheduler]`` option names and values.

    :param values: ``{option name: value}``, e.g.
        ``{'capacity_weight_multiplier': -1.0,
        'weigher_precedence': 'locality:0,cost:0'}``;
        each value is checked by the option's own type.
    :param base: settings the values change; default the options'
        defaults.
    :param seed: seed of the random choice among ``host_subset_size``.
    :raises brick.exception.InvalidValue: an unknown option or a bad
        value, naming both.
    """
    base = base or settings_mod.Settings()
    fields_ = {f.name: getattr(base, f.name)
               for f in dataclasses.fields(base)}
    multipliers = dict(base.multipliers)
    for name, raw in values.items():
        opt = SETTINGS_OPTIONS.get(name)
        if opt is None:
            raise exception.InvalidValue(
                field='scheduler option', value=name,
                allowed=', '.join(sorted(SETTINGS_OPTIONS)))
        try:
            value = opt.type(raw)
        except (ValueError, TypeError) as err:
            raise exception.InvalidValue(
                field='scheduler option %s' % name, value=raw,
                allowed=str(err) or repr(opt.type)) from err
        if name.endswith(_MULTIPLIER):
            multipliers[name[:-len(_MULTIPLIER)]] = value
        else:
            fields_[_FIELDS.get(name, name)] = value
    fields_.update(multipliers=multipliers, seed=seed)
    # A precedence level that is not a whole number fails here, naming
    # the option and the weigher.
    settings = settings_mod.Settings(**fields_)
    # Unknown plugin names fail here, naming the installed ones.
    filters_mod.load(settings.enabled_filters)
    weighers_mod.load(settings.enabled_weighers)
    return settings


def settings_from_conf(conf: cfg.ConfigOpts) -> settings_mod.Settings:
    """The ``[brick_scheduler]`` settings of *conf* (a ``ConfigOpts``)."""
    return settings_mod.Settings.from_conf(conf)


def settings_values(settings: settings_mod.Settings) -> dict:
    """The settings as ``[brick_scheduler]`` option names and values."""
    found = {}
    for name in sorted(SETTINGS_OPTIONS):
        if name.endswith(_MULTIPLIER):
            found[name] = settings.multiplier(name[:-len(_MULTIPLIER)])
        else:
            value = getattr(settings, _FIELDS.get(name, name))
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, collections.abc.Mapping):
                value = dict(sorted(value.items()))
            found[name] = value
    return found


def stored_request(kind: str, request: dict) -> dict:
    """The request a service stores for the workflow when it boots an
    instance (*kind* ``boot``) or creates a volume (``volume``) with
    ``{'flavor', 'hints', 'args'}`` of *request*:
    :func:`brick.workflow.tasks.stored_request`, which
    :class:`brick.api.API` uses (a boot's volumes default to its
    host)."""
    return tasks.stored_request(kind, request.get('flavor'),
                                request.get('hints'), request.get('args'))


def build_spec(request: dict, consumer: str) -> request_mod.RequestSpec:
    """The workflow's :func:`~brick.workflow.tasks.build_spec`.

    :param request: ``{'flavor', 'hints', 'args'}`` as a service stores
        it.
    :raises brick.exception.InvalidInput: an unknown extra spec or a
        bad value.
    """
    return tasks.build_spec(request, consumer)


def volume_count(spec: request_mod.RequestSpec) -> int:
    return len(spec.volumes)


def first_size(spec: request_mod.RequestSpec) -> int:
    """Bytes of the request's first volume."""
    return spec.volumes[0].size


# -- the site's rows -------------------------------------------------------

def rows_from_file(inventory: file_mod.Inventory) -> tuple:
    """Scheduler rows for a checked inventory file (nothing used):
    ``(hosts, pools)``, as a refresh would read them after ``apply``:
    the inventory's own host states
    (:func:`~brick.inventory.hosts.check_state`), capacity
    (:func:`~brick.inventory.fields.capacity`) and the source's driver
    traits (:func:`~brick.scheduler.source.driver_traits`).  A test
    compares them with the rows
    :class:`~brick.scheduler.source.StoreSource` reads from a database
    the file was applied to.

    :param inventory: a :class:`brick.inventory.file.Inventory`.
    """
    hosts = [state_mod.HostState(name, zone, rack, inventory.zones.get(zone),
                                 hosts_mod.check_state(state, 'host state'))
             for name, (zone, rack, state) in inventory.hosts.items()]
    places = {h.name: (h.zone, h.rack, h.region) for h in hosts}
    pools = []
    for number, ((scope, owner, name), values) in enumerate(
            inventory.pools.items(), 1):
        if scope == 'host':
            zone, rack, region = places[owner]
        elif scope == 'rack':
            zone, rack = inventory.racks[owner], owner
            region = inventory.zones.get(zone)
        else:
            zone, rack, region = owner, None, inventory.zones.get(owner)
        settable = {field: values[field] for field in fields.POOL_DEFAULTS}
        fmt, thin = source.driver_traits(values['driver'])
        pools.append(state_mod.PoolState(
            name, values['driver'], scope=scope,
            host=owner if scope == 'host' else None, rack=rack, zone=zone,
            region=region, id=number, thin=thin, format=fmt,
            capacity=fields.capacity(values['total'], values['reserved'],
                                     values['allocation_ratio']),
            **settable))
    return hosts, pools


def rows_from_store(db: engine.Database) -> tuple:
    """Scheduler rows of a live inventory, read once as the scheduler's
    first refresh reads them: ``(hosts, pools)``, usage included."""
    changes = source.StoreSource(db).changes(None)
    return changes.hosts, changes.pools


def pool_infos(pools: list) -> list:
    return [PoolInfo(p.key, p.scope, p.host, p.rack, p.zone, p.driver,
                     tuple(sorted(p.tags)), p.cost) for p in pools]


def host_places(hosts: list) -> dict:
    """``{host: (zone, rack, state)}``."""
    return {h.name: (h.zone, h.rack, h.state) for h in hosts}


def cloned_rows(hosts: list, pools: list, template: str,
                names: list) -> tuple:
    """Rows for new hosts *names* like *template*: same place, state
    ``enabled``, its host-scoped pools empty."""
    model = next(h for h in hosts if h.name == template)
    new_hosts, new_pools = [], []
    for name in names:
        new_hosts.append(dataclasses.replace(
            model, name=name, pools=(), index=-1, state='enabled'))
        for pool in pools:
            if pool.scope == 'host' and pool.host == template:
                new_pools.append(dataclasses.replace(
                    pool, host=name, key='', id=None, used=0, unmanaged=0,
                    volumes=0, generation=0, pending=None, index=-1))
    return new_hosts, new_pools


# -- one configuration's scheduler -------------------------------------------

class Scheduler:
    """A selector on its own in-memory copy of the site's rows.

    :param hosts: host rows (copied in, never changed).
    :param pools: pool rows (copied in, never changed).
    :param settings: :class:`~brick.scheduler.settings.Settings`.
    """

    def __init__(self, hosts: list, pools: list,
                 settings: settings_mod.Settings) -> None:
        self._hosts = {h.name: h for h in hosts}
        self.cache = cache_mod.StateCache()
        self.cache.apply(cache_mod.Changes(
            hosts=[dataclasses.replace(h, pools=()) for h in hosts],
            pools=[dataclasses.replace(p, pending=None) for p in pools]))
        self.locator = context.StaticLocator()
        self.selector = selector_mod.Selector(self.cache, settings,
                                              locator=self.locator)
        self._order = [p.key for p in pools]
        filters = self.selector.filters
        self._static = [f for f in filters if f.name in STATIC_FILTERS]
        # Asked again after a refusal, with the static filters first:
        # the same filters pass the same (no) pairs in any order, and
        # the last filter that removed a pool is then one that stopped
        # pools of the kind the request asks for.
        self._diagnosis = selector_mod.Selector(
            self.cache, settings, self._static + [
                f for f in filters if f.name not in STATIC_FILTERS],
            self.selector.weighers, locator=self.locator)

    # -- reading ---------------------------------------------------------

    @property
    def keys(self) -> list:
        """Pool keys, in the order of :meth:`usage`."""
        return self._order

    def usage(self) -> tuple:
        """``(capacities, used)``: two lists of bytes, one entry per pool
        of :attr:`keys` (``used`` counts unmanaged space too)."""
        pools = self.cache.pools
        found = [pools[key] for key in self._order]
        return ([p.capacity for p in found],
                [p.used + p.unmanaged for p in found])

    def usable(self, spec: request_mod.RequestSpec) -> list:
        """Per pool of :attr:`keys`, True if the request's first volume
        may use it by what the pool is (driver, tags, format) and where
        it stands (the request's availability zone and rack), whatever
        its usage and the request's pairing.

        :raises brick.exception.NotFound: the request's availability
            zone or rack is not the site's.
        :raises brick.exception.InvalidValue: its rack is not in its
            zone.
        """
        ctx = context.Context(dataclasses.replace(
            spec, local_to_instance=None, near_volume=None, same_host=(),
            different_host=()), self.cache, self.selector.settings)
        volume = spec.volumes[0]
        found = []
        for key in self._order:
            pool = self.cache.pools[key]
            host = self.cache.hosts.get(pool.host) if pool.scope == 'host' \
                else next(iter(self.cache.hosts_sharing(pool)), None)
            found.append(host is not None and all(
                f.check(ctx, host, pool, volume) is None
                for f in self._static))
        return found

    # -- deciding --------------------------------------------------------

    def select(self, spec: request_mod.RequestSpec) -> tuple:
        """Decide; return ``(candidates, None)`` or ``(None, Refusal)``.

        Candidates are :class:`Placed`, best first.
        """
        try:
            decision = self.selector.select(spec)
        except exception.NoValidHost as err:
            return None, self._refusal(spec, err.explanation)
        except exception.NotFound as err:
            return None, Refusal('request', 'not found', str(err))
        except exception.InvalidValue as err:
            return None, Refusal('request', 'invalid', str(err))
        return [Placed(c.host, tuple((p.pool, p.size, p.distance)
                                     for p in c.placements))
                for c in decision.candidates], None

    def _refusal(self, spec: request_mod.RequestSpec,
                 explanation: object) -> Refusal:
        """Why *spec* was refused: the blocking filter from the same
        decision with the static filters first (:func:`blocking`), the
        summary from the decision as configured."""
        try:
            self._diagnosis.select(spec)
        except exception.NoValidHost as err:
            blocked_by, reason = blocking(err.explanation)
        else:   # pragma: no cover - the same filters pass the same pairs
            blocked_by, reason = blocking(explanation)
        return Refusal(blocked_by, reason, explanation.summary())

    def reserve(self, candidates: list, count: int) -> list:
        """Claim the best *count* candidates that still fit, each all or
        nothing, as the workflow's reserve step does.

        :returns: :class:`Held` per reserved candidate, best first.
        """
        held = []
        for found in candidates:
            if len(held) >= count:
                break
            wanted = {}
            for key, size, _distance in found.placements:
                wanted[key] = wanted.get(key, 0) + size
            pools = self.cache.pools
            if any(pools[key].free < size for key, size in wanted.items()):
                continue
            with self.selector.lock:
                for key, size, _distance in found.placements:
                    self.cache.claim(key, size)
            held.append(Held(found.host, [(key, size) for key, size, _d
                                          in found.placements]))
        return held

    def release(self, held: Held) -> None:
        """Give *held*'s space back."""
        with self.selector.lock:
            for key, size in held.claims:
                if key in self.cache.pools:
                    self.cache.release(key, size)

    # -- pairing ---------------------------------------------------------

    def place(self, consumer: str, host: str | None, volumes: list,
              keys: list) -> None:
        """Record that *consumer* (and its *volumes*) are on *host* in
        pools *keys*, for later requests that pair with them."""
        self.locator.instances[consumer] = host
        self.locator.volumes[consumer] = list(keys)
        for name, key in zip(volumes, keys, strict=True):
            self.locator.volumes[name] = key

    def forget(self, consumer: str, volumes: list) -> None:
        self.locator.instances.pop(consumer, None)
        self.locator.volumes.pop(consumer, None)
        for name in volumes:
            self.locator.volumes.pop(name, None)

    # -- what-ifs ----------------------------------------------------------

    def set_state(self, hosts: list | tuple = (), pools: list | tuple = (),
                  host_state: str = 'disabled') -> None:
        """Change hosts' state and disable shared pools, as an inventory
        change seen by a refresh would."""
        rows = [dataclasses.replace(self._hosts[name], pools=(),
                                    state=host_state) for name in hosts]
        with self.selector.lock:
            # The row a refresh would read once the run's claims and
            # releases are in the store: the usage the cache holds now,
            # at a generation past every claim it still counts as
            # pending (so none is counted twice, and no space given
            # back comes back).
            pool_rows = []
            for key in pools:
                pool = self.cache.pools[key]
                newest = max((entry[0] for entry in pool.pending or ()),
                             default=pool.generation)
                pool_rows.append(dataclasses.replace(
                    pool, state='disabled', pending=None, index=-1,
                    generation=max(newest, pool.generation + 1)))
            self.cache.apply(cache_mod.Changes(hosts=rows, pools=pool_rows))

    def add(self, hosts: list, pools: list) -> None:
        """Add new host and pool rows."""
        for host in hosts:
            self._hosts[host.name] = host
        for pool in pools:
            self._order.append(pool.key)
        with self.selector.lock:
            self.cache.apply(cache_mod.Changes(
                hosts=[dataclasses.replace(h, pools=()) for h in hosts],
                pools=[dataclasses.replace(p, pending=None) for p in pools]))


def blocking(explanation: object) -> tuple:
    """``(filter, kind of reason)`` that blocked a refused request,
    from its :class:`~brick.scheduler.explanation.Explanation`.

    The last filter, in the order they ran, that removed a pool: the
    pools that passed every filter before it came closest, and it
    stopped them.  Hosts down or disabled (the ``state`` filter)
    explain a refusal only when no filter but the static ones
    (:data:`STATIC_FILTERS`) removed a pool: a drained host is not why
    a request does not fit elsewhere.  ``together`` when no host took
    every volume at once, ``no-match`` when no filter removed a pool.
    """
    data = explanation.as_dict()
    found = [(position, stats['name'],
              stats['reasons'][0]['kind'] if stats['reasons'] else '')
             for position, stats in enumerate(data['filters'])
             if stats['removed']]
    ranked = [item for item in found if item[1] not in STATIC_FILTERS
              and item[1] != 'state'] or [
        item for item in found if item[1] == 'state'] or found
    if ranked:
        return ranked[-1][1], ranked[-1][2]
    if data['dropped']:
        return 'together', 'volumes do not fit together'
    return 'no-match', 'no pool to examine'
