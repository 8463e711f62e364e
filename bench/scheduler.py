# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Scheduler decisions at 1,000, 10,000 and 100,000 hosts.

``python -m bench scheduler [-- --hosts 1000,10000 --decisions 2000]``

Generates a site per size: 40 hosts a rack, 25 racks a zone, two pools a
host (a thick LVM pool tagged by its media, nvme/ssd/hdd, and a thin pool
or a qcow2 directory), one qcow2 pool shared by each zone, 1 % of hosts
down and 0.5 % disabled, pools 10-85 % used, costs by media.  Then it
times single-process decisions for a mix of requests, each claiming its
choice in the cache as the placement workflow would:

* plain: 20-200 GiB, host-local (the consumer goes where the pool is);
* tags: the same with ``tags=ssd`` and ``forbidden_tags=encrypted``;
* host-local: ``local_to_instance`` of a running instance, locality host
  required (reads that host's pools);
* rack-preferred: ``local_to_instance``, rack preferred (reads the rack
  first);
* anti-affinity: ``different_host`` of two existing volumes;
* shown apart, not in "all": scarce, 5 TiB, which about 1 pool in 20
  can take (the search reads pools until ``max_considered`` fit), and
  too-big, 10 TiB, which none can (a NoValidHost with its explanation;
  the free-space bound of the index answers without reading it).

It also times the cache build (every row) and an incremental refresh
(1 % of pools changed), in memory and, with ``--store``, from a real
SQLite inventory (:mod:`bench._scheduler_store`).  Latency is
wall-clock; "cpu" columns are the thread's CPU time for the same
decisions, which other processes on the machine inflate less.
Figures, no assertions.
"""

import argparse
import random
import time

from brick import exception
from brick import units
from brick.scheduler import cache as cache_mod
from brick.scheduler import context
from brick.scheduler import request
from brick.scheduler import selector as selector_mod
from brick.scheduler import settings as settings_mod
from brick.scheduler import state as st

G = units.Gi
T = units.Ti
MEDIA = (('nvme', 0.1, 3.0), ('ssd', 0.6, 2.0), ('hdd', 0.3, 1.0))
KINDS = ('plain', 'tags', 'host-local', 'rack-preferred', 'anti-affinity')


def build_site(hosts, rng):
    """Return ``(hosts, pools)`` lists for :class:`cache_mod.Changes`."""
    host_list, pools = [], []
    for i in range(hosts):
        rack = i // 40
        zone = rack // 25
        roll = rng.random()
        state = 'down' if roll < 0.01 else 'disabled' if roll < 0.015 \
            else 'enabled'
        host = st.HostState('n%06d' % i, 'z%03d' % zone, 'r%05d' % rack,
                            None, state)
        host_list.append(host)
        media, cost = _media(rng)
        tags = {media} | ({'encrypted'} if rng.random() < 0.1 else set())
        total = rng.choice((2, 4, 8)) * T
        pools.append(st.PoolState(
            'lvm', 'lvm', host=host.name, rack=host.rack, zone=host.zone,
            total=total, reserved=10 * G, used=int(total * rng.uniform(
                0.1, 0.85)), cost=cost, tags=frozenset(tags), format='raw',
            step=4 * units.Mi, max_volume=total // 2,
            volumes=rng.randint(0, 40)))
        second = rng.choice(('lvm-thin', 'qcow2'))
        total = rng.choice((1, 2)) * T
        pools.append(st.PoolState(
            second, second, host=host.name, rack=host.rack, zone=host.zone,
            total=total, allocation_ratio=4.0 if second == 'lvm-thin'
            else 1.5, used=int(total * rng.uniform(0.1, 2.0)),
            cost=cost + 0.5, tags=frozenset(tags | {'thin'}), thin=True,
            format='raw' if second == 'lvm-thin' else 'qcow2',
            volumes=rng.randint(0, 60)))
    for zone in sorted({host.zone for host in host_list}):
        pools.append(st.PoolState(
            'shared', 'qcow2', scope='zone', zone=zone, total=500 * T,
            used=100 * T, cost=1.5, tags=frozenset({'shared'}), thin=True,
            format='qcow2'))
    return host_list, pools


def _media(rng):
    roll = rng.random()
    for media, share, cost in MEDIA:
        if roll < share:
            return media, cost
        roll -= share
    return MEDIA[-1][0], MEDIA[-1][2]


def build_locator(host_list, pools, rng, count=5000):
    up = [host.name for host in host_list if host.state == 'enabled']
    host_pools = [pool.key for pool in pools if pool.scope == 'host']
    return context.StaticLocator(
        instances={'vm%d' % i: rng.choice(up) for i in range(count)},
        volumes={'vol%d' % i: rng.choice(host_pools) for i in range(count)})


def make_request(kind, rng, count=5000):
    size = rng.randint(20, 200) * G
    if kind == 'plain':
        return request.build(size=size)
    if kind == 'tags':
        return request.build(size=size, tags='ssd', forbidden_tags='encrypted')
    instance = 'vm%d' % rng.randrange(count)
    if kind == 'host-local':
        return request.build(size=size, local_to_instance=instance)
    if kind == 'rack-preferred':
        return request.build(size=size, local_to_instance=instance,
                             locality='rack', locality_mode='preferred')
    return request.build(size=size, different_host=[
        'vol%d' % rng.randrange(count), 'vol%d' % rng.randrange(count)])


def _ms(values, share):
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(hosts, decisions, seed, max_considered):
    rng = random.Random(seed)
    host_list, pools = build_site(hosts, rng)
    locator = build_locator(host_list, pools, rng)
    cache = cache_mod.StateCache()
    start = time.perf_counter()
    cache.apply(cache_mod.Changes(hosts=host_list, pools=pools))
    build = time.perf_counter() - start
    changed = [st.PoolState(**{**{f: getattr(p, f) for f in (
        'name', 'driver', 'scope', 'host', 'rack', 'zone', 'total',
        'reserved', 'allocation_ratio', 'cost', 'tags', 'thin', 'format',
        'step', 'max_volume', 'volumes')}, 'used': p.used + G,
        'generation': p.generation + 1})
        for p in rng.sample(pools, max(1, len(pools) // 100))]
    start = time.perf_counter()
    cache.apply(cache_mod.Changes(pools=changed))
    refresh = time.perf_counter() - start
    selector = selector_mod.Selector(cache, settings_mod.Settings(
        max_considered=max_considered, seed=seed), locator=locator)
    times = {kind: [] for kind in KINDS}
    cpu = {kind: [] for kind in KINDS}
    failures = 0
    for i in range(decisions):
        kind = KINDS[i % len(KINDS)]
        spec = make_request(kind, rng)
        start, start_cpu = time.perf_counter(), time.thread_time()
        try:
            decision = selector.select(spec)
        except exception.NoValidHost:
            decision = None
            failures += 1
        times[kind].append(time.perf_counter() - start)
        cpu[kind].append(time.thread_time() - start_cpu)
        if decision is not None:
            selector.claim(decision.best)
    apart = {'scarce': [], 'too-big': []}
    for kind, size in (('scarce', 5 * T), ('too-big', 10 * T)):
        for _ in range(max(5, decisions // 100)):
            start = time.perf_counter()
            try:
                selector.select(request.build(size=size))
            except exception.NoValidHost:
                pass
            apart[kind].append(time.perf_counter() - start)
    return build, refresh, times, cpu, failures, len(pools), apart


def main(argv):
    parser = argparse.ArgumentParser(prog='python -m bench scheduler')
    parser.add_argument('--hosts', default='1000,10000,100000',
                        help='comma-separated cluster sizes')
    parser.add_argument('--decisions', type=int, default=2000,
                        help='decisions per size (default %(default)s)')
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--max-considered', type=int, default=None,
                        help='override [brick_scheduler]max_considered')
    parser.add_argument('--store', action='store_true',
                        help='also time loading and refreshing the cache '
                             'from an SQLite inventory')
    args = parser.parse_args(argv)
    max_considered = args.max_considered
    if max_considered is None:
        max_considered = settings_mod.Settings().max_considered
    print('max_considered=%d, %d decisions per size, each claimed; '
          'times in ms' % (max_considered, args.decisions))
    header = '%8s %8s %-15s %7s %7s %7s %7s %8s %8s' % (
        'hosts', 'pools', 'request', 'dec/s', 'p50', 'p99', 'max',
        'cpu p50', 'cpu p99')
    print(header)
    print('-' * len(header))
    for hosts in (int(h) for h in args.hosts.split(',')):
        build, refresh, times, cpu, failures, pools, apart = run(
            hosts, args.decisions, args.seed, max_considered)
        for kind in KINDS + ('all',):
            values = sum(times.values(), []) if kind == 'all' \
                else times[kind]
            used = sum(cpu.values(), []) if kind == 'all' else cpu[kind]
            print('%8d %8d %-15s %7.0f %7.2f %7.2f %7.2f %8.2f %8.2f' % (
                hosts, pools, kind, len(values) / sum(values),
                _ms(values, 0.5), _ms(values, 0.99), 1000 * max(values),
                _ms(used, 0.5), _ms(used, 0.99)))
        for kind, values in apart.items():
            print('%8d %8d %-15s %7.0f %7.2f %7.2f %7.2f' % (
                hosts, pools, kind, len(values) / sum(values),
                _ms(values, 0.5), _ms(values, 0.99), 1000 * max(values)))
        if args.store:
            from bench import _scheduler_store

            site = build_site(hosts, random.Random(args.seed))
            filled, full, refresh_s, rows = _scheduler_store.measure(*site)
            print('%8d %8d SQLite store: filled in %.1f s; cache full load '
                  '%.2f s, incremental refresh (%d pools changed) %.0f ms' % (
                      hosts, pools, filled, full, rows, refresh_s * 1000))
        print('%8d %8d cache build %.2f s, refresh of 1%% of pools %.1f ms, '
              '%d of %d decisions found no host' % (
                  hosts, pools, build, refresh * 1000, failures,
                  args.decisions))
        print()
    return 0


if __name__ == '__main__':
    import sys
    sys.exit(main(sys.argv[1:]))
