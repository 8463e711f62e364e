# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""brick simulate: simulated requests per second and peak memory.

``python -m bench simulate [-- --hosts 1000,10000 --per-host 10]``

Per size, in a child process of its own (so peak memory is that size's):
writes a generated inventory file (40 hosts a rack, 25 racks a zone,
an LVM pool tagged ssd or hdd and a thin pool per host, a qcow2 pool
shared by every fifth rack), loads it as ``brick simulate`` does, and
runs a workload of four request kinds (host-local boots from a flavor,
rack-preferred boots, tagged volumes paired with running instances,
anywhere volumes) whose rates give about ``--per-host`` arrivals per
host (10: 100,000 requests at 10,000 hosts), so that every size is
about as full, under brick's default scheduler settings.  Prints the
load time, the run's wall and CPU time, simulated requests per second
(wall and CPU) and the peak resident memory of the child
(``ru_maxrss``), with the share of requests placed and the share of
the run's CPU time spent in the scheduler's decisions (``select``).
Target: 100,000 requests on a 10,000-host site in under two minutes.
"""

import argparse
import json
import resource
import subprocess
import sys
import time

G = 1 << 30
WORKLOAD = """
duration: 30d
sample_every: 1d
build_time: 30s
kinds:
  - name: small
    flavor: {"brick:local_gb": "40"}
    rate: %(small)s/d
    lifetime: {exponential: 10d}
  - name: rack
    flavor: {"brick:local_gb": "100", "brick:locality": rack,
             "brick:locality_mode": preferred}
    rate: %(rack)s/d
    lifetime: {exponential: 10d}
  - name: data
    args: {tags: ssd}
    size: {lognormal: {median: 200G, sigma: 0.6, max: 2T}}
    boot: 0.5
    rate: %(data)s/d
    lifetime: {exponential: 10d}
  - name: any
    args: {locality: any, driver: qcow2}
    size: {choice: {20G: 3, 100G: 1}}
    boot: 0.0
    rate: %(any)s/d
    lifetime: {exponential: 5d}
"""


def site_yaml(hosts):
    """A generated inventory file of *hosts* hosts."""
    racks = (hosts + 39) // 40
    lines = ['zones:\n'] + ['  - {name: z%d}\n' % z
                            for z in range((racks + 24) // 25)]
    lines.append('racks:\n')
    lines += ['  - {name: r%d, zone: z%d}\n' % (r, r // 25)
              for r in range(racks)]
    lines.append('hosts:\n')
    lines += ['  - {name: h%06d, rack: r%d}\n' % (h, h // 40)
              for h in range(hosts)]
    lines.append('pools:\n')
    for h in range(hosts):
        media, cost = ('ssd', 2) if h % 3 else ('hdd', 1)
        lines.append('  - {name: lvm, driver: lvm, host: h%06d, total: %dG,'
                     ' tags: [%s], cost: %d}\n' % (
                         h, (2 + h % 3) * 1024, media, cost))
        lines.append('  - {name: thin, driver: lvm-thin, host: h%06d, '
                     'total: 1T, allocation_ratio: 3.0, tags: [thin], '
                     'cost: 3}\n' % h)
    for r in range(0, racks, 5):
        lines.append('  - {name: nfs, driver: qcow2, rack: r%d, total: 40T,'
                     ' cost: 0.5}\n' % r)
    return ''.join(lines)


def _timed(function, spent):
    """*function*, adding the CPU seconds of each call to ``spent[0]``."""
    def timed(*args, **kwargs):
        start = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[0] += time.process_time() - start
    return timed


def child(hosts, requests, seed):
    from brick import simulate
    from brick.simulate import adapter

    # The scheduler's share: every decision the simulation asks for
    # (the selector, and the second look of a refusal).
    spent = [0.0]
    adapter.Scheduler.select = _timed(adapter.Scheduler.select, spent)
    start = time.perf_counter()
    site = simulate.site.from_text(site_yaml(hosts), 'generated')
    loaded = time.perf_counter() - start
    per_day = requests / 30.0
    workload = simulate.workload.parse(WORKLOAD % {
        'small': per_day * 0.4, 'rack': per_day * 0.2,
        'data': per_day * 0.25, 'any': per_day * 0.15}, 'bench')
    start, cpu = time.perf_counter(), time.process_time()
    report = simulate.run(site, workload, seed=seed)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    totals = report.as_dict()['configurations'][0]['totals']
    arrived = totals['requests']
    return {'hosts': hosts, 'pools': len(site.pools), 'load_s': loaded,
            'requests': arrived, 'accepted': totals['accepted'],
            'wall_s': wall, 'cpu_s': cpu, 'select_cpu_s': spent[0],
            'per_s': arrived / wall,
            'per_cpu_s': arrived / cpu,
            'peak_mib': resource.getrusage(
                resource.RUSAGE_SELF).ru_maxrss / 1024}


def main(argv):
    parser = argparse.ArgumentParser(prog='python -m bench simulate')
    parser.add_argument('--hosts', default='1000,10000')
    parser.add_argument('--per-host', type=float, default=10.0,
                        help='requests per host over the run (default '
                             '%(default)s)')
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--child', action='store_true',
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.hosts.split(',')]
    if args.child:
        print(json.dumps(child(sizes[0], int(sizes[0] * args.per_host),
                               args.seed)))
        return 0
    print('%g requests per host, default scheduler settings; wall and '
          'CPU seconds of the run (load apart)' % args.per_host)
    print('%7s %7s %8s %9s %8s %8s %8s %8s %9s %9s %9s' % (
        'hosts', 'pools', 'load s', 'requests', 'placed', 'wall s',
        'cpu s', 'select', 'req/s', 'req/cpu-s', 'peak MiB'))
    for size in sizes:
        out = subprocess.run(
            [sys.executable, '-m', 'bench', 'simulate', '--', '--child',
             '--hosts', str(size), '--per-host', str(args.per_host),
             '--seed', str(args.seed)], check=True, capture_output=True,
            text=True).stdout
        found = json.loads(out.strip().splitlines()[-1])
        print('%7d %7d %8.1f %9d %7.1f%% %8.1f %8.1f %7.0f%% %9.0f %9.0f '
              '%9.0f' % (
                  found['hosts'], found['pools'], found['load_s'],
                  found['requests'],
                  100.0 * found['accepted'] / max(1, found['requests']),
                  found['wall_s'], found['cpu_s'],
                  100.0 * found['select_cpu_s'] / found['cpu_s'],
                  found['per_s'], found['per_cpu_s'], found['peak_mib']),
              flush=True)
    return 0
