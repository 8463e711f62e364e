# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""How ``brick-node`` reports: incremental, on change, and in full now
and then.

The node pushes (an RPC cast to the monitors) rather than being polled:
a cast needs no reply queue and no waiting on either side, a node that
is down costs the control side nothing (a poll would wait a timeout for
each), and the broker shares the reports out between however many
monitors run.  OpenStack's services report the same way (cinder-volume
casts its capabilities to the schedulers, ``update_service_capabilities``
in
https://opendev.org/openstack/cinder/src/branch/master/cinder/scheduler/rpcapi.py;
nova-compute pushes its resources).  Liveness is tooz's job, so a node
with nothing new sends nothing:

* every ``[brick_node]report_interval`` seconds the node lists its pools
  and sends the pools whose :attr:`~brick.node.report.PoolReport.digest`
  changed since it last sent them (volumes, size, largest volume to 1%:
  free space moving with every write is not a change);
* a create, delete, extend or snapshot through the node reports that
  pool about a second later (several changes are sent together);
* every ``[brick_node]full_report_interval`` seconds, at start, and when
  a monitor asks (``send_report``, fanned out when a monitor starts,
  answered after a random delay so that thousands of nodes do not answer
  at once) it sends every pool.

A report that cannot be sent (the broker is down) is not retried: its
pools stay "changed" and go with the next one.
"""

import random
import threading
import time
from collections.abc import Callable

from oslo_log import log as logging

from brick.node import agent as agent_mod
from brick.node import report as report_mod

LOG = logging.getLogger(__name__)

DEBOUNCE = 1.0
"""Seconds between a change and its report, to send several together."""


class Reporter:
    """Decides what to report and when; :meth:`run` is its thread.

    :param agent: the node's :class:`~brick.node.agent.NodeAgent`.
    :param send: ``callable(NodeReport)`` (a cast to the monitors).
    :param interval: seconds between looks at the pools.
    :param full_interval: seconds between full reports.
    :param tick: ``callable()`` run on every wake-up (the membership
        check), and how often: *tick_every* seconds.
    :param jitter: the longest random delay before answering a request
        for a full report.
    """

    def __init__(self, agent: agent_mod.NodeAgent,
                 send: Callable[[report_mod.NodeReport], None],
                 interval: float, full_interval: float,
                 tick: Callable[[], object] | None = None,
                 tick_every: float | None = None,
                 jitter: float | None = None) -> None:
        self.agent = agent
        self.send = send
        self.interval = interval
        self.full_interval = full_interval
        self.tick = tick
        self.tick_every = tick_every or interval
        self.jitter = min(interval, 30) if jitter is None else jitter
        self.sent: dict[str, str] = {}
        """``{pool: digest}`` of what the monitors last got."""
        self._lock = threading.Lock()
        self._dirty: set[str] = set()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._full_at = 0.0  # monotonic time of the next full report
        self._look_at = 0.0
        self.reports = 0

    def changed(self, pool: str) -> None:
        """A call changed *pool*: report it soon."""
        with self._lock:
            self._dirty.add(pool)
        self._wake.set()

    def request(self, full: bool = True) -> None:
        """A monitor asked for a report."""
        delay = random.uniform(0, self.jitter)  # noqa: S311 (spreading)
        with self._lock:
            if full:
                self._full_at = min(self._full_at, time.monotonic() + delay)
            else:
                self._look_at = min(self._look_at,
                                    time.monotonic() + delay)
        self._wake.set()

    def once(self, now: float | None = None) -> report_mod.NodeReport | None:
        """Send what is due now; returns the report sent, or None."""
        now = time.monotonic() if now is None else now
        with self._lock:
            full = now >= self._full_at
            look = full or now >= self._look_at
            dirty, self._dirty = self._dirty, set()
        if not look and not dirty:
            return None
        pools = None if look else sorted(set(dirty) & set(
            self.agent.names()))
        found = self.agent.report(pools)
        changed = [pool for pool in found.pools
                   if full or self.sent.get(pool.pool) != pool.digest]
        with self._lock:
            if full:
                self._full_at = now + self.full_interval
            if look:
                self._look_at = now + self.interval
        if not changed and not found.broken:
            return None
        report = report_mod.NodeReport(found.host, found.taken_at,
                                       tuple(changed), full, found.broken)
        try:
            self.send(report)
        except Exception as err:
            LOG.warning('Could not send the report of %s: %s',
                        ', '.join(p.pool for p in changed) or 'no pool', err)
            with self._lock:
                self._dirty.update(p.pool for p in changed)
            return None
        for pool in changed:
            self.sent[pool.pool] = pool.digest
        self.reports += 1
        LOG.debug('Reported %s%s', ', '.join(p.pool for p in changed),
                  ' (full)' if full else '')
        return report

    def run(self) -> None:
        """Loop until :meth:`stop`."""
        next_tick = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            if self.tick is not None and now >= next_tick:
                try:
                    self.tick()
                except Exception:
                    LOG.exception('Membership check failed')
                next_tick = now + self.tick_every
            try:
                self.once()
            except Exception:
                LOG.exception('Reporting failed; trying again in %s s',
                              self.interval)
            with self._lock:
                due = min(self._full_at, self._look_at)
                if self.tick is not None:
                    due = min(due, next_tick)
            if self._wake.wait(max(0.0, due - time.monotonic())):
                self._wake.clear()
                self._stop.wait(DEBOUNCE)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
