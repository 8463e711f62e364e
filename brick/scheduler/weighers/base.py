# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The weigher interface and the normalisation every weigher goes
through.

A weigher returns a raw number, larger is better
(:meth:`BaseWeigher.weigh`).  The selector scales each weigher's numbers
to 0..1 over the candidates of one volume (:func:`normalize`, as Nova's
``nova/weights.py`` does: the lowest becomes 0, the highest 1, all equal
all 0), multiplies by the weigher's multiplier and sums.  A negative
multiplier turns a preference around: the capacity weigher spreads with
a positive one and packs with a negative one.  Models: cinder's
``base_weight.py``, topolvm's ``prioritize.go``.
"""

import abc


class BaseWeigher(metaclass=abc.ABCMeta):
    """One preference between candidates."""

    name = None
    """Entry-point name, set when loaded."""

    minval = None
    maxval = None
    """Fixed bounds for :func:`normalize`, when the weigher knows them
    (None: the lowest and highest value among the candidates)."""

    @abc.abstractmethod
    def weigh(self, ctx, host, pool, volume):
        """Return a raw score for *volume* in *pool* for *host*; larger
        is better.

        :param ctx: the :class:`~brick.scheduler.context.Context`.
        :param host: the consumer's :class:`~brick.scheduler.state.HostState`.
        :param pool: a :class:`~brick.scheduler.state.PoolState`.
        :param volume: a :class:`~brick.scheduler.request.VolumeRequest`.
        :returns: a float.
        """


def normalize(values, minval=None, maxval=None):
    """Scale *values* to 0..1: *minval* (default the lowest) to 0,
    *maxval* (default the highest) to 1; all equal gives all 0.

    :returns: a list of floats.
    """
    if not values:
        return []
    low = min(values) if minval is None else minval
    high = max(values) if maxval is None else maxval
    if high == low:
        return [0.0] * len(values)
    span = float(high - low)
    return [(value - low) / span for value in values]
