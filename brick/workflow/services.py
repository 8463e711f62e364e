# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""What the tasks use at run time: database, selector, nodes, handlers.

Injected into each engine as a *transient* value: it is never written to
the flow's record, and a resumed flow gets the resuming process's own.
"""

import dataclasses

from brick.node import directory
from brick.workflow import handlers as handlers_mod

NAME = 'services'
"""The name tasks require the :class:`Services` under."""
RESUMED = 'resumed'
"""The name of the transient flag that says the run resumes a recorded
flow (True) rather than starts a new one."""


@dataclasses.dataclass
class Services:
    """The run-time collaborators of a flow.

    :param db: the inventory :class:`~brick.db.engine.Database`.
    :param selector: a :class:`~brick.scheduler.selector.Selector` on
        that inventory.
    :param nodes: a :class:`~brick.node.directory.Directory`.
    :param handlers: a :class:`~brick.workflow.handlers.Registry`.
    """

    db: object
    selector: object
    nodes: directory.Directory = dataclasses.field(
        default_factory=directory.Directory)
    handlers: handlers_mod.Registry = dataclasses.field(
        default_factory=handlers_mod.Registry)

    def claimed(self, candidate):
        """Count *candidate*'s reserved placements in the selector's
        cache, so the next decision sees them before a refresh.

        Only a hint: the reservation itself is made in the inventory
        from the pool id and size the flow recorded.  A process that
        resumes a flow may not have the pool in its cache yet (it never
        refreshed); its next refresh reads the pool with the claim."""
        with self.selector.lock:
            for placement in candidate['placements']:
                try:
                    self.selector.cache.claim(placement['pool_key'],
                                              placement['size'])
                except LookupError:
                    pass  # not in this process's cache

    def released(self, candidate):
        """Undo :meth:`claimed` after a release that freed the space."""
        with self.selector.lock:
            for placement in candidate['placements']:
                try:
                    self.selector.cache.release(placement['pool_key'],
                                                placement['size'])
                except LookupError:
                    pass  # the pool left the cache meanwhile
