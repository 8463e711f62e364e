# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Boot handlers: what the compute service runs once volumes exist.

A flow stores the handler's *name*, never the callable: a flow resumed
in a new process (after a crash) finds the handler again in the
:class:`Registry` that process filled at start-up.
"""

import abc
from collections.abc import Callable
from typing import Any
from typing import TypeAlias

from brick import exception
from brick import names

BootFunction: TypeAlias = Callable[[str, str, list[dict[str, Any]]], object]
"""``boot(instance, host, volumes)`` or ``revert(...)`` as a plain
callable (see :meth:`BootHandler.boot`)."""


class BootHandler(metaclass=abc.ABCMeta):
    """Boots an instance on the host that got its volumes.

    Both methods must be idempotent: after a crash, a resumed flow calls
    :meth:`boot` again for an instance that may already be running, and
    :meth:`revert` may be called for one that never started.
    """

    @abc.abstractmethod
    def boot(self, instance: str, host: str,
             volumes: list[dict[str, Any]]) -> object:
        """Start *instance* on *host* with *volumes* attached.

        :param instance: the instance id (the placement's consumer).
        :param host: the host name chosen.
        :param volumes: one dict per volume: ``name``, ``host``, ``pool``,
            ``size``, ``path``, ``format`` and ``connection_info`` (what
            os-brick's LOCAL connector takes).
        :returns: anything JSON-serialisable (kept in the flow's record
            and returned to the caller), or None.
        :raises Exception: any error: the workflow deletes the volumes,
            releases the space and tries another host.
        """

    def revert(self, instance: str, host: str,
               volumes: list[dict[str, Any]]) -> None:
        """Undo a (possibly partial) :meth:`boot`; nothing by default."""


class FunctionHandler(BootHandler):
    """A :class:`BootHandler` made of plain callables.

    :param boot: ``boot(instance, host, volumes)``.
    :param revert: optional ``revert(instance, host, volumes)``.
    """

    def __init__(self, boot: BootFunction,
                 revert: BootFunction | None = None) -> None:
        if not callable(boot) or (revert is not None and not callable(
                revert)):
            raise exception.InvalidValue(
                field='boot handler', value=boot,
                allowed='a BootHandler, or callables boot(instance, host, '
                        'volumes) and optionally revert(...)')
        self._boot = boot
        self._revert = revert

    def boot(self, instance: str, host: str,
             volumes: list[dict[str, Any]]) -> object:
        return self._boot(instance, host, volumes)

    def revert(self, instance: str, host: str,
               volumes: list[dict[str, Any]]) -> None:
        if self._revert is not None:
            self._revert(instance, host, volumes)


class Registry:
    """Boot handlers by name; filled by the caller at start-up."""

    def __init__(self) -> None:
        self._handlers: dict[str, BootHandler] = {}

    def register(self, name: str, handler: BootHandler | BootFunction,
                 revert: BootFunction | None = None) -> BootHandler:
        """Register *handler* (a :class:`BootHandler` or a callable, with
        an optional *revert* callable) as *name*; returns it.

        :raises brick.exception.InvalidName: a bad name.
        :raises brick.exception.InvalidValue: not a handler.
        """
        names.validate(name, 'boot handler name')
        if not isinstance(handler, BootHandler):
            handler = FunctionHandler(handler, revert)
        self._handlers[name] = handler
        return handler

    def get(self, name: str) -> BootHandler:
        """Return the handler registered as *name*.

        :raises brick.exception.HandlerNotFound: none is.
        """
        try:
            return self._handlers[name]
        except (KeyError, TypeError):
            raise exception.HandlerNotFound(
                name=name, available=', '.join(sorted(self._handlers))
                or 'none') from None

    def __contains__(self, name: object) -> bool:
        return name in self._handlers
