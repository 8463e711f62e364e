# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""A workload file: kinds of requests, how often they come, how long
their volumes live.

::

    duration: 7d            # simulated time
    sample_every: 2h        # figures' resolution (default duration / 50)
    build_time: 30s         # reserve -> commit: what alternates hold
    kinds:
      - name: web
        flavor: {"brick:local_gb": "40", "brick:locality": host}
        rate: 20/h          # Poisson arrivals
        lifetime: {exponential: 2d}
      - name: db
        args: {driver: lvm, tags: ssd}      # explicit, as the API takes
        size: {lognormal: {median: 200G, sigma: 0.7, max: 2T}}
        boot: 0.6           # 60 % boots, 40 % volumes for a live db
        rate: 3/h

A kind's request is what a service stores for the workflow:
``flavor`` extra specs, scheduler ``hints`` and explicit ``args``
(:func:`brick.scheduler.request.build` decides what wins); ``size``, if
given, is drawn per request and passed as the ``size`` argument.  A
boot's volumes stay on its host unless the request sets a locality, as
:class:`brick.api.API` boots; a volume request's locality is ``host``
with its instance and ``any`` otherwise.  A
share ``1 - boot`` of a kind's arrivals are volume requests: a volume
``local_to_instance`` of a running instance of the same kind (one
drawn among those booted earlier and not yet gone), as a volume service
creates a volume for an instance; such a volume is deleted with its
instance at the latest.  Every kind's request is built once
at load time, so an unknown extra spec or a bad value is an error
naming the file, line and field.

:meth:`Workload.arrivals` draws every request from the seed alone
(arrival times, sizes, lifetimes, pairing), never from what was
placed, so every configuration of a comparison sees the same stream.
"""

import dataclasses
import heapq
import random
from collections.abc import Iterator

from brick import exception
from brick import names
from brick.simulate import adapter
from brick.simulate import distribution
from brick.simulate import document

TOP = ('duration', 'sample_every', 'build_time', 'seed', 'kinds')
KIND = ('name', 'flavor', 'hints', 'args', 'size', 'rate', 'lifetime',
        'boot')
DEFAULT_BUILD_TIME = 30.0
"""Seconds from reservation to commit (volume creation and boot)."""
SAMPLES = 50
"""Figures' points over the duration, unless ``sample_every`` says."""


@dataclasses.dataclass(frozen=True)
class Arrival:
    """One request of the stream."""

    time: float
    kind: str
    type: str
    """``boot`` or ``volume``."""
    consumer: str
    request: dict
    """``{'flavor', 'hints', 'args'}`` as the workflow stores it."""
    lifetime: float | None
    """Seconds until it is deleted; None: never."""
    line: int | None = None
    """Line of a trace it came from."""


@dataclasses.dataclass(frozen=True)
class Kind:
    name: str
    request: dict
    rate: float
    """Arrivals per second."""
    size: distribution.Distribution | None
    lifetime: distribution.Distribution | None
    boot: float
    median: int
    """Median bytes of a request's first volume."""

    def describe(self) -> dict:
        return {'name': self.name, 'request': self.request,
                'rate_per_hour': round(self.rate * 3600, 6),
                'boot_share': self.boot, 'median_size': self.median,
                'size': self.size.describe() if self.size else None,
                'lifetime': self.lifetime.describe() if self.lifetime
                else None}


@dataclasses.dataclass(frozen=True)
class Workload:
    source: str
    duration: float
    kinds: tuple
    sample_every: float
    build_time: float = DEFAULT_BUILD_TIME
    seed: int | None = None

    def describe(self) -> dict:
        return {'source': self.source, 'duration': self.duration,
                'sample_every': self.sample_every,
                'build_time': self.build_time,
                'kinds': [kind.describe() for kind in self.kinds]}

    @property
    def kind_names(self) -> list:
        return [kind.name for kind in self.kinds]

    @property
    def medians(self) -> dict:
        return {kind.name: kind.median for kind in self.kinds}

    @property
    def specs(self) -> dict:
        """A request spec per kind, for what a kind can use."""
        return {kind.name: adapter.build_spec(_probe(kind.request,
                                                     kind.median,
                                                     kind.boot), 'probe')
                for kind in self.kinds}

    def arrivals(self, seed: int) -> Iterator[Arrival]:
        """Every :class:`Arrival` before :attr:`duration`, in time order
        (ties by kind order)."""
        streams = []
        for position, kind in enumerate(self.kinds):
            if kind.rate > 0:
                # A simulation, not secrets: a seeded generator is right.
                rng = random.Random('%s/%s' % (seed, kind.name))  # noqa: S311
                streams.append(_stream(kind, position, rng, self.duration))
        for _time, _position, _n, arrival in heapq.merge(*streams):
            yield arrival


def _sized(request, size):
    args = dict(request['args'])
    if size is not None:
        args['size'] = size
    return dict(request, args=args)


def _probe(request, size, boot):
    """The stored request of a kind's typical arrival: a boot's unless
    the kind only sends volumes."""
    return adapter.stored_request('boot' if boot > 0 else 'volume',
                                  _sized(request, size))


def _stream(kind, position, rng, duration):
    now, count, alive = 0.0, 0, []
    while True:
        now += rng.expovariate(kind.rate)
        if now >= duration:
            return
        count += 1
        size = kind.size.draw(rng) if kind.size else None
        lifetime = kind.lifetime.draw(rng) if kind.lifetime else None
        boot = kind.boot >= 1.0 or rng.random() < kind.boot
        request = _sized(kind.request, size)
        if boot:
            consumer = '%s-%d' % (kind.name, count)
            alive.append((consumer, now + lifetime if lifetime is not None
                          else None))
        else:
            consumer = '%s-v%d' % (kind.name, count)
            target = _pick(alive, now, rng)
            if target is not None:
                request = dict(request, args=dict(
                    request['args'], local_to_instance=target[0]))
                # A local volume goes with its instance.
                if target[1] is not None:
                    lifetime = min(lifetime, target[1] - now) \
                        if lifetime is not None else target[1] - now
        kind_type = 'boot' if boot else 'volume'
        yield (now, position, count, Arrival(
            now, kind.name, kind_type, consumer,
            adapter.stored_request(kind_type, request), lifetime))


def _pick(alive, now, rng):
    """``(consumer, end)`` of a running instance of *alive* (dropping
    the gone ones met), or None."""
    while alive:
        index = rng.randrange(len(alive))
        consumer, end = alive[index]
        if end is None or end > now:
            return consumer, end
        alive[index] = alive[-1]
        alive.pop()
    return None


def load(path: str) -> Workload:
    """Read and check the workload file at *path*.

    :raises brick.exception.InvalidInput: naming file, line and field.
    """
    data, where = document.load_yaml(path, 'workload file')
    return parse_data(data, where)


def parse(text: str, source: str = '<string>') -> Workload:
    data, where = document.parse_yaml(text, source)
    return parse_data(data, where)


def parse_data(data: object, where: document.Where) -> Workload:
    document.mapping(data, where, TOP)
    for key in ('duration', 'kinds'):
        if key not in data:
            raise where.error(sorted(data), 'a mapping with %s' % key)
    duration = distribution.duration(data['duration'],
                                     where.key(data, 'duration'))
    if not duration:
        raise where.key(data, 'duration').error(data['duration'],
                                                'a duration above 0')
    sample = duration / SAMPLES
    if 'sample_every' in data:
        at = where.key(data, 'sample_every')
        sample = distribution.duration(data['sample_every'], at)
        if not sample or duration / sample > 10000:
            raise at.error(data['sample_every'],
                           'above 0 and at most 10,000 samples a run')
    build = distribution.duration(data.get('build_time', DEFAULT_BUILD_TIME),
                                  where.key(data, 'build_time'))
    seed = data.get('seed')
    if seed is not None and (isinstance(seed, bool) or
                             not isinstance(seed, int)):
        raise where.key(data, 'seed').error(seed, 'an integer')
    kinds = data['kinds']
    at = where.key(data, 'kinds')
    if not isinstance(kinds, list) or not kinds:
        raise at.error(kinds, 'a non-empty list of request kinds')
    found, seen = [], set()
    for index, entry in enumerate(kinds):
        kind = parse_kind(entry, at.item(kinds, index))
        if kind.name in seen:
            raise at.item(kinds, index).error(kind.name,
                                              'a name not used before')
        seen.add(kind.name)
        found.append(kind)
    return Workload(where.source, duration, tuple(found), sample, build,
                    seed)


def parse_kind(entry: object, where: document.Where) -> Kind:
    """One request kind of a workload file."""
    document.mapping(entry, where, KIND)
    if 'name' not in entry:
        raise where.error(dict(entry), 'a mapping with a name')
    try:
        name = names.validate(entry['name'], 'kind name')
    except exception.InvalidInput as err:
        raise where.key(entry, 'name').wrap(err) from err
    request = {}
    for part in ('flavor', 'hints', 'args'):
        value = entry.get(part) or {}
        if not isinstance(value, dict):
            raise where.key(entry, part).error(value, 'a mapping')
        request[part] = {str(k): _plain(v) for k, v in value.items()}
    if 'rate' not in entry:
        raise where.error(dict(entry), 'a mapping with a rate')
    rate = distribution.rate(entry['rate'], where.key(entry, 'rate'))
    size = distribution.parse(entry['size'], where.key(entry, 'size'),
                              'size') if 'size' in entry else None
    lifetime = None
    if entry.get('lifetime') not in (None, 'forever'):
        lifetime = distribution.parse(entry['lifetime'],
                                      where.key(entry, 'lifetime'),
                                      'duration')
    boot = entry.get('boot', 1.0)
    if isinstance(boot, bool) or not isinstance(boot, (int, float)) or \
            not 0 <= boot <= 1:
        raise where.key(entry, 'boot').error(boot, 'a share from 0 to 1')
    median = _check_request(request, size, where, entry)
    return Kind(name, request, rate, size, lifetime, float(boot), median)


def _plain(value):
    if isinstance(value, list):
        return [str(item) for item in value]
    return value if isinstance(value, str) else str(value).lower() \
        if isinstance(value, bool) else str(value)


def _check_request(request, size, where, entry):
    """Build the kind's request once; return its first volume's median
    size."""
    probe = _probe(request, int(size.median) if size else None,
                   entry.get('boot', 1.0))
    try:
        spec = adapter.build_spec(probe, 'probe')
    except exception.BrickException as err:
        field = next((part for part in ('flavor', 'hints', 'args')
                      if request[part]), 'flavor')
        for part in ('flavor', 'hints', 'args'):
            if any(str(key) in str(err) for key in request[part]):
                field = part
                break
        raise where.key(entry, field).wrap(err) from err
    if not adapter.volume_count(spec):
        raise where.error(dict(entry), 'a request with local storage: a '
                          'size, brick:local_gb or args size above 0')
    return adapter.first_size(spec)
