# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Sizes, durations and rates in a workload file, and how to draw them.

A size or a duration is a value (``20G``, ``3h``) or a distribution::

    size: 20G                                   # always 20 GiB
    size: {uniform: [10G, 100G]}
    size: {choice: {20G: 5, 100G: 2, 500G: 1}}  # weights
    size: {lognormal: {median: 40G, sigma: 0.8, max: 2T}}
    lifetime: {exponential: 3d}                 # mean

Sizes take brick's units (:func:`brick.units.parse`) and are drawn
rounded up to whole GiB, as flavors speak; durations are seconds or a
number with ``s``, ``m``, ``h``, ``d`` or ``w``.  A rate is arrivals
per time, ``12/h`` (a bare number is per hour).
"""

import dataclasses
import math
import random
import re

from brick import units
from brick.simulate import document

DURATION_UNITS = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}
DURATION_SYNTAX = 'seconds, or a number with s, m, h, d or w (e.g. 3h)'
RATE_SYNTAX = 'arrivals per time: N/s, N/m, N/h or N/d (e.g. 12/h), at ' \
    'least 0'
FORMS = ('fixed', 'uniform', 'choice', 'lognormal', 'exponential')
_NUMBER = re.compile(r'^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*'
                     r'([a-z]?)\s*$')


def duration(value: object, where: document.Where) -> float:
    """Seconds (a float, at least 0) from ``90``, ``15m``, ``2d``..."""
    if isinstance(value, bool):
        raise where.error(value, DURATION_SYNTAX)
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        match = _NUMBER.match(str(value))
        if not match or match.group(2) not in DURATION_UNITS and \
                match.group(2):
            raise where.error(value, DURATION_SYNTAX)
        seconds = float(match.group(1)) * DURATION_UNITS[
            match.group(2) or 's']
    if not math.isfinite(seconds) or seconds < 0:
        raise where.error(value, DURATION_SYNTAX + ', at least 0')
    return seconds


def rate(value: object, where: document.Where) -> float:
    """Arrivals per second from ``12/h`` (a bare number: per hour)."""
    text = str(value).strip()
    number, _, per = text.partition('/')
    try:
        count = float(number)
    except ValueError:
        raise where.error(value, RATE_SYNTAX) from None
    unit = per.strip() or 'h'
    if isinstance(value, bool) or unit not in DURATION_UNITS or \
            not math.isfinite(count) or count < 0:
        raise where.error(value, RATE_SYNTAX)
    return count / DURATION_UNITS[unit]


def size(value: object, where: document.Where) -> int:
    """Bytes from ``20G`` or an integer, above 0."""
    try:
        found = units.parse(value, str(where)) if not isinstance(
            value, bool) else None
    except Exception:
        found = None
    if not isinstance(found, int) or found <= 0:
        raise where.error(value, units.SIZE_SYNTAX + ', above 0')
    return found


@dataclasses.dataclass(frozen=True)
class Distribution:
    """Draws values; :attr:`median` is the distribution's own."""

    form: str
    params: tuple
    median: float
    round_to: int = 1
    bounds: tuple = (None, None)

    def draw(self, rng: random.Random) -> float:
        """One value from *rng* (a :class:`random.Random`)."""
        form, params = self.form, self.params
        if form == 'fixed':
            value = params[0]
        elif form == 'uniform':
            value = rng.uniform(params[0], params[1])
        elif form == 'choice':
            value = rng.choices(params[0], weights=params[1])[0]
        elif form == 'lognormal':
            value = params[0] * math.exp(rng.gauss(0.0, params[1]))
        else:
            value = rng.expovariate(1.0 / params[0]) if params[0] else 0.0
        low, high = self.bounds
        if low is not None:
            value = max(low, value)
        if high is not None:
            value = min(high, value)
        if self.round_to > 1:
            return max(self.round_to, units.round_up(
                int(math.ceil(value)), self.round_to))
        return value

    def describe(self) -> dict:
        return {'form': self.form, 'median': self.median}


def parse(value: object, where: document.Where,
          kind: str) -> Distribution:
    """A :class:`Distribution` of sizes (*kind* ``'size'``) or durations
    (``'duration'``)."""
    one = size if kind == 'size' else duration
    round_to = units.Gi if kind == 'size' else 1
    if not isinstance(value, dict):
        found = one(value, where)
        return Distribution('fixed', (found,), found, round_to)
    if len(value) != 1 or next(iter(value)) not in FORMS:
        raise where.error(dict(value), 'a value, or a mapping with one of '
                          'the keys %s' % ', '.join(FORMS))
    form = next(iter(value))
    inner = where.key(value, form)
    body = value[form]
    if form == 'fixed':
        found = one(body, inner)
        return Distribution(form, (found,), found, round_to)
    if form == 'uniform':
        if not isinstance(body, list) or len(body) != 2:
            raise inner.error(body, 'a list [low, high]')
        low, high = (one(v, inner.item(body, i)) for i, v in enumerate(body))
        if high < low:
            raise inner.error(body, 'low <= high')
        return Distribution(form, (low, high), (low + high) / 2, round_to)
    if form == 'choice':
        return _choice(body, inner, one, round_to)
    if form == 'exponential':
        mean = one(body, inner)
        return Distribution(form, (mean,), mean * math.log(2), round_to)
    document.mapping(body, inner, ('median', 'sigma', 'min', 'max'))
    if 'median' not in body or 'sigma' not in body:
        raise inner.error(dict(body), 'a mapping with median and sigma '
                          '(and optionally min, max)')
    median = one(body['median'], inner.key(body, 'median'))
    sigma = body['sigma']
    if isinstance(sigma, bool) or not isinstance(sigma, (int, float)) or \
            not 0 <= sigma <= 10:
        raise inner.key(body, 'sigma').error(sigma, 'a number from 0 to 10')
    bounds = tuple(one(body[k], inner.key(body, k)) if k in body else None
                   for k in ('min', 'max'))
    return Distribution(form, (median, float(sigma)), median, round_to,
                        bounds)


def _choice(body, where, one, round_to):
    if isinstance(body, list) and body:
        pairs = [(one(v, where.item(body, i)), 1.0)
                 for i, v in enumerate(body)]
    elif isinstance(body, dict) and body:
        pairs = []
        for key, weight in body.items():
            at = where.key(body, key)
            if isinstance(weight, bool) or not isinstance(
                    weight, (int, float)) or weight < 0:
                raise at.error(weight, 'a weight of at least 0')
            pairs.append((one(key, at), float(weight)))
    else:
        raise where.error(body, 'a list of values, or a mapping {value: '
                          'weight}')
    if not sum(w for _v, w in pairs):
        raise where.error(body, 'at least one weight above 0')
    values = [v for v, _w in pairs]
    weights = [w for _v, w in pairs]
    ordered = sorted(pairs)
    half, seen, median = sum(weights) / 2, 0.0, ordered[-1][0]
    for value, weight in ordered:
        seen += weight
        if seen >= half:
            median = value
            break
    return Distribution('choice', (values, weights), median, round_to)
