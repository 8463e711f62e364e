# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""What-ifs: drain or lose part of the site, or add hosts, mid-run.

* ``drain rack:r2`` (or ``host:h03``, ``zone:z1``): the hosts stop
  taking new volumes (state ``disabled``, the place's shared pools
  ``disabled``), then every consumer with a volume there is placed again
  under its original request (instances first, so volumes that follow an
  instance find it), and its old space is freed once the new space is
  held.  A consumer that fits nowhere stays where it was and is named,
  with the filter that blocked it.
* ``fail ...``: the same without notice: the hosts go ``down`` and their
  space is gone at once; a consumer that fits nowhere is lost.
* ``add N:h03``: N new hosts like ``h03``: same rack, its own pools,
  empty.

Each happens at a time, ``@6h`` (default: half the run for drain and
fail, the start for add).  A consumer that existed before the run (a
live inventory's allocations) has no recorded request: it is placed
again with its volumes' sizes and pools' drivers, anywhere.
"""

import dataclasses

from brick import exception
from brick.simulate import distribution
from brick.simulate import document

ACTIONS = ('drain', 'fail', 'add')
SCOPES = ('host', 'rack', 'zone')
SYNTAX = {'drain': 'host:NAME, rack:NAME or zone:NAME, then optionally '
                   '@TIME (e.g. rack:r2@12h)',
          'add': 'N:HOST, then optionally @TIME (e.g. 10:h03@1d)'}
SYNTAX['fail'] = SYNTAX['drain']


@dataclasses.dataclass(frozen=True)
class WhatIf:
    action: str
    scope: str
    """``host``, ``rack`` or ``zone``; ``host`` for add (the model)."""
    name: str
    count: int = 0
    """Hosts to add."""
    time: float | None = None
    """Seconds into the run; None: the action's default."""

    @property
    def label(self) -> str:
        if self.action == 'add':
            return 'add %d:%s' % (self.count, self.name)
        return '%s %s:%s' % (self.action, self.scope, self.name)

    def at(self, duration: float) -> float:
        if self.time is not None:
            return self.time
        return 0.0 if self.action == 'add' else duration / 2

    def hosts(self, places: dict) -> list:
        """Names of the hosts it drains or fails, sorted."""
        index = {'host': None, 'zone': 0, 'rack': 1}[self.scope]
        if index is None:
            return [self.name]
        return sorted(name for name, place in places.items()
                      if place[index] == self.name)

    def shared(self, infos: list, places: dict) -> list:
        """Keys of the shared pools it drains or fails."""
        if self.scope == 'host':
            return []
        zones = {self.name} if self.scope == 'zone' else set()
        racks = {self.name} if self.scope == 'rack' else {
            place[1] for place in places.values() if place[0] == self.name}
        return [p.key for p in infos if (p.scope == 'rack' and p.rack in
                                         racks) or (p.scope == 'zone' and
                                                    p.zone in zones)]


def parse(action: str, text: str) -> WhatIf:
    """A :class:`WhatIf` from ``--drain``/``--fail``/``--add`` text.

    :raises brick.exception.InvalidValue: naming the option and syntax.
    """
    where = document.Where('--%s' % action)
    body, _, when = text.partition('@')
    time = distribution.duration(when, where) if when else None
    head, sep, name = body.partition(':')
    if not sep or not name:
        raise where.error(text, SYNTAX[action])
    if action == 'add':
        if not head.isdigit() or not 0 < int(head) <= 100000:
            raise where.error(text, SYNTAX[action] + '; N from 1 to '
                              '100000')
        return WhatIf(action, 'host', name, int(head), time)
    if head not in SCOPES:
        raise where.error(text, SYNTAX[action])
    return WhatIf(action, head, name, 0, time)


def check(whatif: WhatIf, places: dict, duration: float) -> None:
    """Refuse a what-if naming a place the site does not have, or a
    time past the run's end."""
    if whatif.action == 'add' or whatif.scope == 'host':
        known = whatif.name in places
    else:
        index = 0 if whatif.scope == 'zone' else 1
        known = any(place[index] == whatif.name for place in places.values())
    if not known:
        raise exception.NotFound(what='%s %r (--%s): the site has no such '
                                 '%s' % (whatif.scope, whatif.name,
                                         whatif.action, whatif.scope))
    if whatif.at(duration) > duration:
        raise exception.InvalidValue(
            field='time of --%s %s' % (whatif.action, whatif.name),
            value=whatif.time, allowed='at most the run\'s duration, %g s'
            % duration)
