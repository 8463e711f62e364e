# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Scheduler decisions at 1,000, 10,000 and 100,000 hosts, exact.

``python -m bench scheduler [-- --sizes 1k,10k,100k --decisions 200]``

Generates a site per size: 40 hosts a rack, 25 racks a zone, two pools a
host (a thick LVM pool tagged by its medium, nvme/ssd/hdd, and a thin
pool or a qcow2 directory), a qcow2 pool shared by every fifth rack, 1 %
of hosts down and 0.5 % disabled, 30 % of pools empty and the others
5-90 % used, costs by medium.  Then it times single-process decisions,
each claimed in the cache as the placement workflow claims it, for each
request shape (one after the other, interleaved):

* ``anywhere``: 20-200 GiB, no consumer named (every pool);
* ``tag``: the same with ``tags=ssd``;
* ``forbidden``: ``forbidden_tags=ssd``;
* ``rack``: ``tags=ssd`` in one rack (``rack=``);
* ``zone``: ``tags=ssd`` in one availability zone;
* ``scarce``: a size only about 10 pools can take (not claimed);
* ``hosts50``: a list of 50 consumer hosts, locality rack;
* ``boot3``: a 3-volume boot (10+20+40 GiB) ``local_to_instance``,
  locality rack;
* ``anti``: ``different_host`` of two existing volumes.

Refreshes are part of the measured decisions: an in-memory source plays
other schedulers claiming ``--others`` pools a second, and the selector
refreshes from it every ``--refresh-interval`` seconds, inside whichever
decision finds it due (as with a real inventory).  Printed per size and
shape: decisions, p50, p99 and max in ms (wall clock) and the p99 of the
thread's CPU time, which other load on the machine inflates less; per
size: the cache build, the memory the site's state takes (RSS growth
while generating and loading it), and the refreshes' median and max.
With ``--store``, also the full load and an incremental refresh from a
real SQLite inventory (:mod:`bench._scheduler_store`).  With
``--baseline REF``, the same machine first runs the scheduler benchmark
of git revision REF (e.g. ``main``) on the same sizes, for a before and
after in one run.  Figures, no assertions.
"""

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
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
MEDIA = (('nvme', 0.1, 3.0), ('ssd', 0.5, 2.0), ('hdd', 0.4, 1.0))
SHAPES = ('anywhere', 'tag', 'forbidden', 'rack', 'zone', 'scarce',
          'hosts50', 'boot3', 'anti')
PER_RACK = 40
RACKS_PER_ZONE = 25


def _jitter(rng, size):
    """*size* give or take 1 %, so that few pools tie on free space."""
    return int(size * rng.uniform(0.99, 1.01))


def _used(rng, total):
    if rng.random() < 0.3:
        return 0
    return int(total * rng.uniform(0.05, 0.9))


def build_site(hosts, rng):
    """Return ``(hosts, pools)`` lists for :class:`cache_mod.Changes`.

    Each distinct zone and rack name and tag set is one object, as
    :class:`~brick.scheduler.source.StoreSource` reads them: a string
    or frozenset made per row would be garbage once the cache interns
    it, and the memory figure would count that garbage's pages."""
    host_list, pools = [], []
    shared: dict = {}
    for i in range(hosts):
        rack = i // PER_RACK
        zone = rack // RACKS_PER_ZONE
        roll = rng.random()
        state = 'down' if roll < 0.01 else 'disabled' if roll < 0.015 \
            else 'enabled'
        host = st.HostState('n%06d' % i, _one(shared, 'z%03d' % zone),
                            _one(shared, 'r%05d' % rack), None, state)
        host_list.append(host)
        media, cost = _media(rng)
        tags = _one(shared, frozenset({media}))
        total = _jitter(rng, rng.choice((2, 4, 8)) * T)
        pools.append(st.PoolState(
            'lvm', 'lvm', host=host.name, rack=host.rack, zone=host.zone,
            total=total, reserved=10 * G, used=_used(rng, total - 10 * G),
            cost=cost + rng.choice((0, 0.25, 0.5)), tags=tags,
            format='raw', step=4 * units.Mi, volumes=rng.randint(0, 40)))
        second = rng.choice(('lvm-thin', 'qcow2'))
        total = _jitter(rng, rng.choice((1, 2)) * T)
        ratio = 4.0 if second == 'lvm-thin' else 1.0
        pools.append(st.PoolState(
            second, second, host=host.name, rack=host.rack, zone=host.zone,
            total=total, allocation_ratio=ratio,
            used=_used(rng, int(total * ratio)), cost=cost + 0.5,
            tags=_one(shared, tags | {'thin'}), thin=True,
            format='raw' if second == 'lvm-thin' else 'qcow2',
            volumes=rng.randint(0, 60)))
    for rack in sorted({h.rack for h in host_list})[::5]:
        zone = 'z%03d' % (int(rack[1:]) // RACKS_PER_ZONE)
        pools.append(st.PoolState(
            'shared', 'qcow2', scope='rack', rack=rack, zone=zone,
            total=_jitter(rng, 100 * T), used=_used(rng, 100 * T), cost=1.5,
            tags=_one(shared, frozenset({'shared', 'hdd'})), thin=True,
            format='qcow2'))
    return host_list, pools


def _one(shared, value):
    """The object equal to *value* seen first."""
    return shared.setdefault(value, value)


def _media(rng):
    roll = rng.random()
    for media, share, cost in MEDIA:
        if roll < share:
            return media, cost
        roll -= share
    return MEDIA[-1][0], MEDIA[-1][2]


class OtherSchedulers:
    """An in-memory inventory source: other processes claim *rate*
    random pools a second; ``changes()`` returns the rows they changed
    since the last call, as a store refresh would."""

    def __init__(self, cache, rate, rng):
        self.cache = cache
        self.rate = rate
        self.rng = rng
        self.keys = list(cache.pools)
        self.last = time.monotonic()

    def changes(self, marker):
        now = time.monotonic()
        count = int((now - self.last) * self.rate)
        self.last = now
        rows = []
        for key in self.rng.sample(self.keys, min(count, len(self.keys))):
            pool = self.cache.pools[key]
            row = st.PoolState(**{f: getattr(pool, f) for f in (
                'name', 'driver', 'scope', 'host', 'rack', 'zone', 'region',
                'total', 'reserved', 'allocation_ratio', 'unmanaged',
                'min_unit', 'max_unit', 'step', 'max_volume', 'cost', 'role',
                'tags', 'state', 'thin', 'format', 'id', 'capacity', 'key')})
            row.used = min(pool.used + G, pool.capacity)
            row.volumes = pool.volumes + 1
            row.generation = pool.generation + 1
            rows.append(row)
        return cache_mod.Changes(pools=rows, marker=now)


class TimedCache(cache_mod.StateCache):
    """Records each refresh's whole cost: read (here, the fake source)
    and apply."""

    def __init__(self):
        super().__init__()
        self.refreshes = []

    def refresh(self, source):
        start = time.perf_counter()
        stats = super().refresh(source)
        self.refreshes.append((stats.pools, time.perf_counter() - start))
        return stats


def _rss():
    with open('/proc/self/statm') as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def _scarce_size(pools):
    """A size about ten pools can take."""
    largest = sorted((p.largest for p in pools), reverse=True)
    return max(G, largest[min(9, len(largest) - 1)] // G * G)


def make_request(shape, rng, site, scarce):
    host_list, racks, zones, volumes = site
    size = rng.randint(20, 200) * G
    if shape == 'anywhere':
        return request.build(size=size)
    if shape == 'tag':
        return request.build(size=size, tags='ssd')
    if shape == 'forbidden':
        return request.build(size=size, forbidden_tags='ssd')
    if shape == 'rack':
        return request.build(size=size, tags='ssd', rack=rng.choice(racks))
    if shape == 'zone':
        return request.build(size=size, tags='ssd',
                             availability_zone=rng.choice(zones))
    if shape == 'scarce':
        return request.build(size=scarce)
    if shape == 'hosts50':
        return request.build(size=size, locality='rack',
                             hosts=rng.sample(host_list, 50))
    if shape == 'boot3':
        return request.build(
            volumes=[{'size': 10 * G}, {'size': 20 * G}, {'size': 40 * G}],
            local_to_instance='vm%d' % rng.randrange(1000), locality='rack')
    return request.build(size=size, different_host=[
        rng.choice(volumes), rng.choice(volumes)])


def _ms(values, share):
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(hosts, decisions, seed, others, interval):
    rng = random.Random(seed)
    before = _rss()
    host_list, pools = build_site(hosts, rng)
    up = [h.name for h in host_list if h.state == 'enabled']
    host_pools = [p.key for p in pools if p.scope == 'host']
    locator = context.StaticLocator(
        instances={'vm%d' % i: rng.choice(up) for i in range(1000)},
        volumes={'vol%d' % i: rng.choice(host_pools) for i in range(1000)})
    scarce = _scarce_size(pools)
    cache = TimedCache()
    start = time.perf_counter()
    cache.apply(cache_mod.Changes(hosts=host_list, pools=pools))
    build = time.perf_counter() - start
    cache.columns.pool_key_rank()
    cache.columns.host_name_rank()
    site = ([h.name for h in host_list], sorted({h.rack for h in host_list}),
            sorted({h.zone for h in host_list}),
            ['vol%d' % i for i in range(1000)])
    # The cache copied the hosts and kept the pools: what is left of the
    # generated site is the cache's.
    del pools, host_list
    memory = _rss() - before
    source = OtherSchedulers(cache, others, rng)
    cache.refresh(source)
    cache.refreshes.clear()
    selector = selector_mod.Selector(
        cache, settings_mod.Settings(seed=seed, refresh_interval=interval),
        locator=locator, source=source)
    wall = {shape: [] for shape in SHAPES}
    cpu = {shape: [] for shape in SHAPES}
    found = {shape: 0 for shape in SHAPES}
    for shape in SHAPES:
        # Not measured: the first decision of a kind imports and caches.
        try:
            selector.select(make_request(shape, rng, site, scarce))
        except exception.NoValidHost:
            pass
    for i in range(decisions * len(SHAPES)):
        shape = SHAPES[i % len(SHAPES)]
        spec = make_request(shape, rng, site, scarce)
        start, start_cpu = time.perf_counter(), time.thread_time()
        try:
            decision = selector.select(spec)
        except exception.NoValidHost:
            decision = None
        wall[shape].append(time.perf_counter() - start)
        cpu[shape].append(time.thread_time() - start_cpu)
        if decision is not None:
            found[shape] += 1
            if shape != 'scarce':     # it would use up the ten
                selector.claim(decision.best)
    return dict(build=build, memory=memory, wall=wall, cpu=cpu, found=found,
                pools=len(cache.pools), refreshes=cache.refreshes,
                scarce=scarce)


def baseline(ref, sizes, decisions):
    """Run git revision *ref*'s scheduler benchmark on *sizes* in a
    scratch copy; return its output."""
    top = subprocess.run(['git', 'rev-parse', '--show-toplevel'],
                         capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(__file__)).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(['git', 'archive', ref, 'brick', 'bench'],
                                 capture_output=True, check=True, cwd=top)
        subprocess.run(['tar', '-x', '-C', tmp], input=archive.stdout,
                       check=True)
        env = dict(os.environ, PYTHONPATH=tmp)
        lines = []
        # Exact mode (0) took seconds a decision at 100,000 hosts: it
        # runs on the smaller sizes only.
        for max_considered, chosen in (
                ('200', sizes), ('0', [s for s in sizes if s <= 10000])):
            if not chosen:
                continue
            done = subprocess.run(
                [sys.executable, '-m', 'bench', 'scheduler', '--',
                 '--hosts', ','.join(str(s) for s in chosen),
                 '--decisions', str(decisions), '--max-considered',
                 max_considered], capture_output=True, text=True, cwd=tmp,
                env=env, check=False)
            lines.append(done.stdout + done.stderr)
        return '\n'.join(lines)


def _size(text):
    text = text.strip().lower()
    return int(float(text[:-1]) * 1000) if text.endswith('k') else int(text)


def main(argv):
    parser = argparse.ArgumentParser(prog='python -m bench scheduler')
    parser.add_argument('--sizes', '--hosts', default='1k,10k,100k',
                        help='comma-separated site sizes in hosts')
    parser.add_argument('--decisions', type=int, default=200,
                        help='decisions per shape and size')
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--others', type=float, default=200.0,
                        help='claims a second by other schedulers')
    parser.add_argument('--refresh-interval', type=float, default=1.0,
                        help='[brick_scheduler]refresh_interval')
    parser.add_argument('--store', action='store_true',
                        help='also time loading and refreshing the cache '
                             'from an SQLite inventory')
    parser.add_argument('--baseline', metavar='REF',
                        help='first run the benchmark of git revision REF '
                             '(its own shapes, default and exact modes)')
    args = parser.parse_args(argv)
    sizes = [_size(s) for s in args.sizes.split(',')]
    load = os.getloadavg()
    print('load average %.2f %.2f %.2f on %d CPUs; %d decisions per shape '
          'and size, each claimed; others claim %g pools/s, refresh every '
          '%g s (inside the decisions); times in ms' % (
              load + (os.cpu_count(), args.decisions, args.others,
                      args.refresh_interval)))
    if args.baseline:
        print('-- baseline: bench/scheduler.py of %s (old shapes; '
              'max_considered 200, then 0 = exact) --' % args.baseline)
        print(baseline(args.baseline, sizes, args.decisions))
        print('-- this tree --')
    header = '%8s %8s %-10s %6s %7s %7s %7s %8s' % (
        'hosts', 'pools', 'shape', 'found', 'p50', 'p99', 'max', 'cpu p99')
    print(header)
    print('-' * len(header))
    for hosts in sizes:
        got = run(hosts, args.decisions, args.seed, args.others,
                  args.refresh_interval)
        every = []
        for shape in SHAPES:
            wall = got['wall'][shape]
            every += wall
            print('%8d %8d %-10s %6d %7.2f %7.2f %7.2f %8.2f' % (
                hosts, got['pools'], shape, got['found'][shape],
                _ms(wall, 0.5), _ms(wall, 0.99), 1000 * max(wall),
                _ms(got['cpu'][shape], 0.99)))
        print('%8d %8d %-10s %6s %7.2f %7.2f %7.2f' % (
            hosts, got['pools'], 'all', '', _ms(every, 0.5),
            _ms(every, 0.99), 1000 * max(every)))
        refreshes = got['refreshes'] or [(0, 0.0)]
        print('%8d %8d cache build %.2f s, state %.0f MiB (RSS growth), '
              '%d refreshes of ~%d rows: median %.1f ms, max %.1f ms; '
              'scarce size %s' % (
                  hosts, got['pools'], got['build'],
                  got['memory'] / units.Mi, len(got['refreshes']),
                  statistics.median(r[0] for r in refreshes),
                  1000 * statistics.median(r[1] for r in refreshes),
                  1000 * max(r[1] for r in refreshes),
                  units.human(got['scarce'])))
        if args.store:
            from bench import _scheduler_store

            site = build_site(hosts, random.Random(args.seed))
            filled, full, refresh_s, rows = _scheduler_store.measure(*site)
            print('%8d %8d SQLite store: filled in %.1f s; cache full load '
                  '%.2f s, incremental refresh (%d pools changed, one '
                  'deleted) %.0f ms' % (hosts, got['pools'], filled, full,
                                        rows, refresh_s * 1000))
        print(flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
