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

**Precedence.**  Weighers of higher precedence rank first: candidates
are compared on the summed scores of the highest precedence, and only
equal ones (to 9 decimals) on the next.  By default ``locality`` (2)
comes before ``cost`` (1), which comes before ``capacity`` and
``best_fit`` (0): closest first, then cheapest, then spread (or pack,
with a negative multiplier) between equal costs.
``[brick_scheduler]weigher_precedence`` changes it; giving every weigher
the same precedence ranks by the plain weighted sum, as Nova and Cinder
do.  A candidate's ``score`` is always the sum of every weighted score.

A weigher may score every pair at once, :meth:`BaseWeigher.weigh_all`
(one vector operation over :class:`~brick.scheduler.pairs.Pairs`); one
without it is asked pair by pair.
"""

import abc
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:  # annotations only: no import cycle at run time
    from brick.scheduler import context as context_mod
    from brick.scheduler import pairs as pairs_mod
    from brick.scheduler import request as request_mod
    from brick.scheduler import state as state_mod


class BaseWeigher(metaclass=abc.ABCMeta):
    """One preference between candidates."""

    name: str | None = None
    """Entry-point name, set when loaded."""

    precedence = 0
    """Default rank of this weigher's scores among the others' (higher
    first); ``[brick_scheduler]weigher_precedence`` overrides it."""

    minval: float | None = None
    maxval: float | None = None
    """Fixed bounds for :func:`normalize`, when the weigher knows them
    (None: the lowest and highest value among the candidates)."""

    @abc.abstractmethod
    def weigh(self, ctx: 'context_mod.Context', host: 'state_mod.HostState',
              pool: 'state_mod.PoolState',
              volume: 'request_mod.VolumeRequest') -> float:
        """Return a raw score for *volume* in *pool* for *host*; larger
        is better.

        :param ctx: the :class:`~brick.scheduler.context.Context`.
        :param host: the consumer's :class:`~brick.scheduler.state.HostState`.
        :param pool: a :class:`~brick.scheduler.state.PoolState`.
        :param volume: a :class:`~brick.scheduler.request.VolumeRequest`.
        :returns: a float.
        """


    def weigh_all(self, ctx: 'context_mod.Context',
                  volume: 'request_mod.VolumeRequest',
                  pairs: 'pairs_mod.Pairs'
                  ) -> npt.NDArray[np.float64] | None:
        """Raw scores of every pair at once (a float array), or None to
        be asked pair by pair with :meth:`weigh`."""
        return None


def normalize_all(values: npt.NDArray[np.float64],
                  minval: float | None = None, maxval: float | None = None
                  ) -> npt.NDArray[np.float64]:
    """:func:`normalize` of a numpy array, the same arithmetic."""
    if not len(values):
        return values.astype(float)
    low = values.min() if minval is None else minval
    high = values.max() if maxval is None else maxval
    if high == low:
        return np.zeros(len(values))
    return (values - low) / float(high - low)


def normalize(values: Sequence[float], minval: float | None = None,
              maxval: float | None = None) -> list[float]:
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
