# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The node boundary: the one interface the workflow calls a host by.

Every argument and result is plain data (names, int bytes,
:class:`~brick.drivers.volume.Volume` and connection-info dicts, and
:class:`~brick.node.report.NodeReport`), so an implementation may run
the call on another machine (:class:`brick.node.remote.RemoteNode`).
Every method is idempotent, as the drivers are: the workflow repeats a
call after a crash.  A node never touches the inventory database.
"""

import abc
from collections.abc import Iterable

from brick.drivers import volume as volume_mod
from brick.node import report as report_mod


class Node(metaclass=abc.ABCMeta):
    """One host's storage, as the control side sees it."""

    @property
    @abc.abstractmethod
    def host(self) -> str:
        """The host's name in the inventory."""

    @abc.abstractmethod
    def pools(self) -> list[str]:
        """Return the names of the pools this node serves, sorted."""

    @abc.abstractmethod
    def create_volume(self, pool: str, name: str, size: int
                      ) -> tuple[volume_mod.Volume,
                                 volume_mod.ConnectionInfo]:
        """Create volume *name* of *size* bytes in *pool* (or return it if
        it exists with this size) and attach it.

        :returns: ``(volume, connection_info)``: the
            :class:`~brick.drivers.volume.Volume` and what os-brick's
            LOCAL connector takes.
        :raises brick.exception.BrickException: the driver's error.
        """

    @abc.abstractmethod
    def delete_volume(self, pool: str, name: str) -> None:
        """Detach and delete a volume; a missing one is not an error."""

    @abc.abstractmethod
    def extend_volume(self, pool: str, name: str, size: int
                      ) -> volume_mod.Volume:
        """Grow a volume to *size* bytes; return the
        :class:`~brick.drivers.volume.Volume`."""

    @abc.abstractmethod
    def snapshot_volume(self, pool: str, volume: str, name: str
                        ) -> volume_mod.Snapshot:
        """Take snapshot *name* of *volume*; return the
        :class:`~brick.drivers.volume.Snapshot`."""

    @abc.abstractmethod
    def report(self, pools: Iterable[str] | None = None
               ) -> report_mod.NodeReport:
        """Describe the pools *pools* (default: every pool): capacity and
        every volume, brick's or not.

        :returns: a :class:`~brick.node.report.NodeReport`; the control
            side writes it (:func:`brick.inventory.census.apply`).
        """

    @abc.abstractmethod
    def delete_orphan(self, pool: str, name: str, listed_at: float) -> bool:
        """Delete volume *name*, which the control side found orphaned in
        a report taken at *listed_at*, unless it is not brick's or was
        created (again) since then: someone may be using it now.

        :returns: True if it was deleted (or was already gone), False if
            the node refused.
        """

    def setup(self) -> None:
        """Check the node's pools before use (nothing to do by default:
        a remote node checks its own when it starts)."""
