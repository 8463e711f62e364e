# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The filter interface, and plugin loading shared with weighers.

A filter is a pure function of (context, consumer host, pool, volume):
:meth:`BaseFilter.check` returns None when the pair passes, or a reason
``"what: detail"``.  The part before the colon is the reason's kind,
which explanations count ("not enough free space" removed 812); the
detail names the numbers.  Model: topolvm's ``filterNode`` (an empty
string or a reason) and cinder's ``BaseFilter``.

``host`` is the host the consumer (instance) will run on; ``pool`` may
be on that host, elsewhere, or shared.  ``ctx`` is the decision's
:class:`~brick.scheduler.context.Context`: the request, the resolved
pairing and affinity, the current locality tier and the cache.

A filter may also answer for every pair at once,
:meth:`BaseFilter.mask`, from the columns of
:mod:`brick.scheduler.columns`: the search then runs one vector
operation instead of one call per pair.  ``mask`` must agree with
``check`` on every pair (a property test compares them); a filter
without one still works, asked pair by pair on the pairs the earlier
filters kept, and ``check`` always supplies the reasons explanations
show.
"""

import abc
import importlib.metadata
from collections.abc import Iterable
from typing import TYPE_CHECKING
from typing import Any
from typing import NoReturn

import numpy as np
import numpy.typing as npt
from stevedore import extension
from stevedore import named

from brick import exception

if TYPE_CHECKING:  # annotations only: no import cycle at run time
    from brick.scheduler import context as context_mod
    from brick.scheduler import pairs as pairs_mod
    from brick.scheduler import request as request_mod
    from brick.scheduler import state as state_mod


class BaseFilter(metaclass=abc.ABCMeta):
    """One check every candidate must pass."""

    name: str | None = None
    """Entry-point name, set by :func:`load_plugins`."""

    @abc.abstractmethod
    def check(self, ctx: 'context_mod.Context', host: 'state_mod.HostState',
              pool: 'state_mod.PoolState',
              volume: 'request_mod.VolumeRequest') -> str | None:
        """Return None if *volume* may go to *pool* for *host*, else a
        reason ``"kind: detail"``.

        :param ctx: the :class:`~brick.scheduler.context.Context`.
        :param host: the consumer's :class:`~brick.scheduler.state.HostState`.
        :param pool: a :class:`~brick.scheduler.state.PoolState`.
        :param volume: a :class:`~brick.scheduler.request.VolumeRequest`.
        """

    def applies(self, ctx: 'context_mod.Context',
                volume: 'request_mod.VolumeRequest') -> bool:
        """False when the request asks nothing this filter checks (no
        tags, no pairing...): the search then skips it for *volume*.
        Asked once per volume and decision, before any tier is
        searched, so the answer may not depend on ``ctx.tier``."""
        return True

    def mask(self, ctx: 'context_mod.Context',
             volume: 'request_mod.VolumeRequest', pairs: 'pairs_mod.Pairs'
             ) -> npt.NDArray[np.bool_] | None:
        """Which of *pairs* pass, all at once; None: ask :meth:`check`
        pair by pair.

        :param pairs: a :class:`~brick.scheduler.pairs.Pairs` (pool rows,
            consumer host rows and distances, with the columns).
        :returns: a numpy bool array, one per pair, or None.
        """
        return None


def load_plugins(namespace: str, names: Iterable[str], what: str
                 ) -> list[Any]:
    """Load and instantiate the plugins *names* of *namespace*, in order.

    :raises brick.exception.InvalidValue: an unknown or broken name.
    """
    names = list(names)
    available = sorted(extension.ExtensionManager(namespace).names())
    unknown = [name for name in names if name not in available]
    if unknown:
        raise exception.InvalidValue(
            field='%s name' % what, value=unknown[0],
            allowed=', '.join(available) or 'none installed')
    manager: named.NamedExtensionManager[Any] = named.NamedExtensionManager(
        namespace, names, name_order=True, invoke_on_load=True,
        on_load_failure_callback=_failed)
    plugins: list[Any] = []
    for ext in manager:
        assert ext.obj is not None  # invoked on load
        ext.obj.name = ext.name
        plugins.append(ext.obj)
    return plugins


def _failed(manager: extension.ExtensionManager[Any],
            entrypoint: importlib.metadata.EntryPoint,
            err: BaseException) -> NoReturn:
    raise exception.InvalidValue(
        field='plugin %s' % entrypoint.name, value=str(err),
        allowed='a plugin that loads') from err
