# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Build scheduler state from plain data (the scenario YAML's
``cluster``), for tests.

::

    hosts:
      - {name: h1, zone: z1, rack: r1}            # state: up by default
      - {name: 'hv{i:02d}', count: 20, zone: z1, rack: 'r{r}', per_rack: 10}
    pools:
      - {name: lvm, host: h1, driver: lvm, total: 100G, tags: [ssd]}
      - {name: nfs, rack: r1, driver: qcow2, total: 1T, thin: true}
      - {name: lvm, host: 'hv{i:02d}', count: 20, driver: lvm, total: 1T}

``{i}`` counts from ``start`` (1); ``{r}`` is ``(i - start) // per_rack
+ start``.  Sizes take units.  A host pool's place is its host's.
"""

from brick import units
from brick.scheduler import cache as cache_mod
from brick.scheduler import source
from brick.scheduler import state as st

SIZES = ('total', 'reserved', 'used', 'unmanaged', 'min_unit', 'max_unit',
         'step', 'max_volume')


def _expand(entries):
    for entry in entries:
        entry = dict(entry)
        count = entry.pop('count', None)
        start = entry.pop('start', 1)
        per_rack = entry.pop('per_rack', 1)
        if count is None:
            yield entry
            continue
        for i in range(start, start + count):
            r = (i - start) // per_rack + start
            yield {key: value.format(i=i, r=r) if isinstance(value, str)
                   else value for key, value in entry.items()}


def hosts(spec):
    return [st.HostState(h['name'], h.get('zone'), h.get('rack'),
                         h.get('region'), h.get('state', 'enabled'))
            for h in _expand(spec.get('hosts', ()))]


def pools(spec, host_list):
    by_name = {host.name: host for host in host_list}
    racks = {host.rack: host.zone for host in host_list}
    result = []
    for entry in _expand(spec.get('pools', ())):
        entry = dict(entry)
        for field in SIZES:
            if field in entry and entry[field] is not None:
                entry[field] = units.parse(entry[field], field)
        entry['tags'] = frozenset(entry.get('tags', ()))
        # Format and thinness as the store derives them from the driver.
        fmt, thin = source.driver_traits(entry['driver'])
        entry.setdefault('format', fmt)
        entry.setdefault('thin', thin)
        if 'host' in entry:
            host = by_name[entry['host']]
            entry.update(scope='host', rack=host.rack, zone=host.zone)
        elif 'rack' in entry:
            entry.update(scope='rack', zone=entry.get('zone',
                                                      racks.get(entry['rack'])))
        else:
            entry['scope'] = 'zone'
        result.append(st.PoolState(**entry))
    return result


def build(spec):
    """Return a :class:`StateCache` holding the cluster *spec*."""
    cache = cache_mod.StateCache()
    host_list = hosts(spec)
    cache.apply(cache_mod.Changes(hosts=host_list,
                                  pools=pools(spec, host_list)))
    return cache
