# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""One decision's context: the request with its pairing resolved.

Before any filter runs, the selector resolves what the request names
into hosts and failure domains, once:

* ``local_to_instance`` X: the host X runs on (the embedding service's
  :class:`Locator` says; failing that, the one host of X's pools);
* ``near_volume`` V: the hosts that can use V's pool (its host, or every
  host of the rack or zone sharing it);
* ``hosts`` and ``exclude_hosts`` narrow those (a list of hosts none of
  which the inventory knows is :exc:`~brick.exception.NotFound`);
* ``availability_zone`` and ``rack``: checked against the inventory (an
  unknown zone or rack is :exc:`~brick.exception.NotFound`, a rack of
  another zone :exc:`~brick.exception.InvalidValue`); the
  ``availability_zone`` filter then keeps consumer and pool inside;
* ``same_host`` / ``different_host``: the failure domains of the named
  volumes or consumers.

A :class:`Locator` answers "where is X": the compute service knows its
instances, the inventory knows which pools hold a volume or a consumer's
allocations (:class:`brick.scheduler.source.StoreLocator`).
"""

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING
from typing import Any

import numpy as np

from brick import exception

if TYPE_CHECKING:  # annotations only: no import cycle at run time
    from brick.scheduler import cache as cache_mod
    from brick.scheduler import request as request_mod
    from brick.scheduler import settings as settings_mod
    from brick.scheduler import state as state_mod


class Locator:
    """Where instances and volumes are; the default knows nothing."""

    def instance_host(self, instance: str) -> str | None:
        """The host instance *instance* runs on, or None if unknown."""
        return None

    def locate(self, name: str) -> Sequence[str]:
        """Keys of the pools holding volume *name* or the allocations of
        consumer *name* (empty if none)."""
        return ()


@dataclasses.dataclass
class StaticLocator(Locator):
    """A :class:`Locator` from two dictionaries (tests, simple callers)."""

    instances: dict[str, str] = dataclasses.field(default_factory=dict)
    """``{instance: host}``."""
    volumes: dict[str, str | Sequence[str]] = dataclasses.field(
        default_factory=dict)
    """``{volume or consumer: pool key or [pool keys]}``."""

    def instance_host(self, instance: str) -> str | None:
        return self.instances.get(instance)

    def locate(self, name: str) -> Sequence[str]:
        found = self.volumes.get(name, ())
        return (found,) if isinstance(found, str) else tuple(found)


class Context:
    """What filters and weighers read besides the pair itself.

    :param request: the :class:`~brick.scheduler.request.RequestSpec`.
    :param cache: the :class:`~brick.scheduler.cache.StateCache`.
    :param settings: the :class:`~brick.scheduler.settings.Settings`.
    :param locator: a :class:`Locator`.
    :raises brick.exception.NotFound: an instance or volume the request
        pairs with cannot be found.
    """

    def __init__(self, request: 'request_mod.RequestSpec',
                 cache: 'cache_mod.StateCache',
                 settings: 'settings_mod.Settings',
                 locator: Locator | None = None) -> None:
        self.request = request
        self.cache = cache
        self.settings = settings
        self.locator = locator or Locator()
        self.tier = request.tier
        self.notes: list[str] = []
        """What resolution found, for the explanation."""
        self.instance_host: str | None = None
        self.consumers: list[state_mod.HostState] | None = None
        """The hosts the consumer may run on, or None: any, derived from
        the pools that match."""
        self.with_domains: frozenset[str | None] | None = None
        self.avoid_domains: frozenset[str | None] = frozenset()
        limits = [limit for limit in (request.max_volumes_per_host,
                                      settings.max_volumes_per_host)
                  if limit]
        self.max_volumes = min(limits) if limits else None
        self._derived: dict[str, Any] = {}
        self._resolve()

    def in_place(self, host):
        """Is *host* in the requested availability zone and rack?"""
        request = self.request
        return (request.availability_zone is None
                or host.zone == request.availability_zone) and (
            request.rack is None or host.rack == request.rack)

    def excluded_hosts(self):
        """A bool per host row: excluded by the request."""
        found = self._derived.get('excluded')
        if found is None:
            cols = self.cache.columns
            found = np.zeros(cols.hosts.capacity + 1, dtype=np.bool_)
            for name in self.request.exclude_hosts:
                host = self.cache.hosts.get(name)
                if host is not None:
                    found[host.index] = True
            self._derived['excluded'] = found
        return found

    def host_volumes(self):
        """Volumes held by each host's own pools, per host row, with
        this process's claims (computed once per decision)."""
        found = self._derived.get('volumes')
        if found is None:
            found = self._derived['volumes'] = \
                self.cache.columns.host_volumes()
        return found

    def _pools_of(self, name):
        pools = [self.cache.pools.get(key)
                 for key in self.locator.locate(name)]
        return [pool for pool in pools if pool is not None]

    def _resolve(self):
        request = self.request
        self._check_place()
        allowed = None
        if request.local_to_instance is not None:
            self.instance_host = self._find_instance(
                request.local_to_instance)
            allowed = {self.instance_host}
            self.notes.append('instance %s runs on %s' % (
                request.local_to_instance, self.instance_host))
        if request.near_volume is not None:
            pools = self._pools_of(request.near_volume)
            if not pools:
                raise exception.NotFound(
                    what='volume %r (near_volume): in no pool the '
                         'scheduler knows' % request.near_volume)
            near = {host.name for pool in pools
                    for host in self.cache.hosts_sharing(pool)}
            allowed = near if allowed is None else allowed & near
            self.notes.append('volume %s is in %s' % (
                request.near_volume, ', '.join(p.key for p in pools)))
        if request.hosts is not None:
            given = set(request.hosts)
            unknown = sorted(h for h in given if h not in self.cache.hosts)
            if unknown and len(unknown) == len(given):
                raise exception.NotFound(
                    what='host %s (hosts): not in the inventory' % (
                        _short(unknown)))
            if unknown:
                self.notes.append('hosts not in the inventory, ignored: '
                                  '%s' % _short(unknown))
            allowed = given if allowed is None else allowed & given
        if allowed is not None:
            self.consumers = [self.cache.hosts[name]
                              for name in sorted(allowed)
                              if name in self.cache.hosts
                              and name not in request.exclude_hosts]
            self.notes.append('consumer hosts: %s' % (
                _short(h.name for h in self.consumers) or 'none left'))
        self.with_domains = self._domains(request.same_host, 'same_host')
        self.avoid_domains = frozenset(
            self._domains(request.different_host, 'different_host') or ())

    def _check_place(self):
        request, cache = self.request, self.cache
        zone, rack = request.availability_zone, request.rack
        if zone is None and rack is None:
            return
        if zone is not None and not cache.hosts_by_zone.get(zone):
            zones = sorted(z for z, hosts in cache.hosts_by_zone.items()
                           if z is not None and hosts)
            raise exception.NotFound(
                what='availability zone %r: no host of the inventory is '
                     'in it; zones: %s' % (zone, _short(zones)))
        if rack is not None:
            members = cache.hosts_by_rack.get(rack)
            if not members:
                racks = sorted(r for r, hosts in cache.hosts_by_rack.items()
                               if r is not None and hosts)
                raise exception.NotFound(
                    what='rack %r: no host of the inventory is in it; '
                         'racks: %s' % (rack, _short(racks)))
            rack_zone = next(iter(members.values())).zone
            if zone is not None and rack_zone != zone:
                raise exception.InvalidValue(
                    field='rack', value=rack,
                    allowed='a rack of availability zone %s (rack %s is '
                            'in zone %s)' % (zone, rack, rack_zone))
        self.notes.append('consumer and pools in %s' % ', '.join(
            part for part in (zone and 'availability zone %s' % zone,
                              rack and 'rack %s' % rack) if part))

    def _find_instance(self, instance):
        host = self.locator.instance_host(instance)
        if host is None:
            hosts = {pool.host for pool in self._pools_of(instance)
                     if pool.scope == 'host'}
            if len(hosts) == 1:
                host = hosts.pop()
        if host is None:
            raise exception.NotFound(
                what='host of instance %r (local_to_instance): neither the '
                     'locator nor the inventory knows it' % instance)
        return host

    def _domains(self, members, field):
        if not members:
            return None
        domains, unknown = set(), []
        for member in members:
            pools = self._pools_of(member)
            if not pools:
                unknown.append(member)
            domains.update(pool.domain for pool in pools)
        if unknown:
            self.notes.append('%s: %s not placed yet, ignored' % (
                field, ', '.join(unknown)))
        if domains:
            self.notes.append('%s: members on %s' % (
                field, ', '.join(sorted(domains))))
        return frozenset(domains) if domains else None


def _short(items, limit=5):
    items = list(items)
    more = len(items) - limit
    return ', '.join(items[:limit]) + (' and %d more' % more if more > 0
                                       else '')
