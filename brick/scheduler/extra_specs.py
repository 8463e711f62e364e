# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The ``brick:`` flavor extra specs and the scheduler hints.

Every key is registered here once, with its type, what it allows and a
description; :data:`EXTRA_SPECS` validates a flavor's extra specs and
:data:`HINTS` a request's scheduler hints, and both write the operator
documentation (``doc/source/admin/extra-specs.rst``).

Extra specs are strict inside ``brick:`` (an unknown ``brick:`` key is an
error naming the keys that exist) and ignore every other namespace, as
Nova does.  Hints are shared with the services that pass them, so
unknown hints are ignored; known ones are validated.

Numbered keys (``brick:volume{N}_gb``, N from 1 to
:data:`~brick.scheduler.spec_types.MAX_VOLUMES`) describe volumes one by
one, for flavors whose disks differ (a fast root disk and a large data
disk); a numbered key wins over the flavor-wide key of the same field.
"""

import typing
from typing import Literal
from typing import TypeAlias

from brick import units
from brick.scheduler import spec_types as t
from brick.scheduler.spec_types import Key

Locality: TypeAlias = Literal['host', 'rack', 'zone', 'any']
Mode: TypeAlias = Literal['required', 'preferred']
Format: TypeAlias = Literal['raw', 'qcow2', 'vdi']
GroupPolicy: TypeAlias = Literal['none', 'affinity', 'anti-affinity']

LOCALITIES: tuple[Locality, ...] = typing.get_args(Locality)
MODES: tuple[Mode, ...] = typing.get_args(Mode)
FORMATS: tuple[Format, ...] = typing.get_args(Format)
GROUP_POLICIES: tuple[GroupPolicy, ...] = typing.get_args(GroupPolicy)

_LOCALITY = Key(
    'locality', t.Choice(*LOCALITIES), 'locality', """
How close to the instance's host the volumes must be: on the ``host``
itself, in its ``rack``, in its ``zone``, or ``any`` where.  A pool shared
by a rack is in the rack of every host of that rack, not on any host, and
is never used by a host outside it.  Default: ``host`` for an instance's
boot and for a request naming its consumer host (``local_to_instance``,
``near_volume``, a host list); ``any`` for a volume request that names
none, which then considers every pool of the site, shared ones
included.""")
_MODE = Key(
    'locality_mode', t.Choice(*MODES), 'locality_mode', """
``required``: never place a volume farther than ``locality``.
``preferred``: try ``locality`` first, then each wider tier in turn (up
to ``locality_max``), closer candidates always ranking first.  Default:
``required``.""")
_MAX = Key(
    'locality_max', t.Choice(*LOCALITIES), 'locality_max', """
The widest tier ``preferred`` locality may fall back to, e.g. ``zone``
for "prefer the same host, accept the same rack, never cross zones".
Ignored under ``required``.  Default: ``any``.""")
_TAGS = Key(
    'tags', t.Words(t.TAG), 'tags', """
Tags a pool must all carry (the pool's ``tags`` in the inventory), e.g.
``ssd`` or ``ssd,replicated``.""")
_FORBIDDEN = Key(
    'forbidden_tags', t.Words(t.TAG), 'forbidden_tags', """
Tags a pool must not carry, e.g. ``shared`` to keep volumes off pools
shared by a rack or zone.  A tag may not be both required and
forbidden.""")
_MAX_VOLUMES = Key(
    'max_volumes_per_host', t.Integer(1, 100000), 'max_volumes_per_host',
    """
Place a volume only on hosts whose pools hold fewer than this many
volumes, counting the request's own.  The lower of this and
``[brick_scheduler]max_volumes_per_host`` applies.""")
_ZONE = Key(
    'availability_zone', t.NAME, 'availability_zone', """
The availability zone (the inventory's zone) the instance's host and
every volume must be in, as Nova's and Cinder's ``availability_zone``.
A zone the inventory does not know is an error, not an empty answer.""")
_RACK = Key(
    'rack', t.NAME, 'rack', """
The rack the instance's host and every volume must be in; a pool shared
by the whole zone is not in the rack.  A rack the inventory does not
know is an error.""")
_GROUP_POLICY = Key(
    'group_policy', t.Choice(*GROUP_POLICIES), 'group_policy', """
How the volumes of one request relate to each other:
``anti-affinity`` puts each on a different host (a shared pool counts as
its own host), ``affinity`` puts them all on one, ``none`` (the default)
lets each go where it ranks best.""")

EXTRA_SPECS = t.Registry('brick', [
    Key('local_gb', t.Integer(0, 1 << 30, 'GiB'), 'size', """
Size of each local volume in GiB.  0 asks for no local storage (brick
has nothing to place), as ``resources:DISK_GB=0`` does in Nova.""",
        scale=units.Gi),
    Key('count', t.Integer(1, t.MAX_VOLUMES), 'count', """
Number of volumes.  Default: the highest N of any ``brick:volume{N}_*``
key, else 1.  Volumes without a size of their own get ``local_gb``."""),
    Key('driver', t.Words(t.NAME), 'drivers', """
Volume drivers the volumes may use, any of them, e.g. ``lvm`` or
``lvm,lvm-thin`` (entry points of ``brick.volume_drivers``; a driver not
installed is refused, as ``brick inventory apply`` refuses it).
Default: any driver."""),
    Key('format', t.Choice(*FORMATS), 'format', """
On-disk format the hypervisor will open: ``raw`` (block devices of the
``lvm`` and ``lvm-thin`` drivers, and ``raw`` files), ``qcow2`` or
``vdi``.  Default: any."""),
    Key('thin', t.Boolean(), 'thin', """
``true``: only thin pools (space allocated on write, possibly
over-committed); ``false``: only thick pools.  Default: either."""),
    _LOCALITY, _MODE, _MAX, _ZONE, _RACK, _TAGS, _FORBIDDEN, _MAX_VOLUMES,
    _GROUP_POLICY,
    Key('volume{N}_gb', t.Integer(1, 1 << 30, 'GiB'), 'size', """
Size of volume N in GiB; wins over ``local_gb`` for that volume.""",
        scale=units.Gi),
    Key('volume{N}_driver', t.Words(t.NAME), 'drivers', """
Drivers volume N may use; wins over ``driver``."""),
    Key('volume{N}_format', t.Choice(*FORMATS), 'format', """
Format of volume N; wins over ``format``."""),
    Key('volume{N}_thin', t.Boolean(), 'thin', """
Thin or thick pool for volume N; wins over ``thin``."""),
    Key('volume{N}_tags', t.Words(t.TAG), 'tags', """
Tags the pool of volume N must carry; replaces ``tags`` for that
volume."""),
    Key('volume{N}_forbidden_tags', t.Words(t.TAG), 'forbidden_tags', """
Tags the pool of volume N must not carry; replaces ``forbidden_tags``
for that volume."""),
], strict=True, what='flavor extra spec')

HINTS = t.Registry(None, [
    Key('local_to_instance', t.CONSUMER, 'local_to_instance', """
Place the volumes for the host where this instance runs (the volume
service's case; Cinder's hint of the same name).  brick asks the
embedding service's locator, or failing that the inventory, where the
instance is."""),
    Key('near_volume', t.NAME, 'near_volume', """
Place the volumes for the host of this existing volume's pool (the
compute service's case: boot where the volume already is)."""),
    Key('same_host', t.Words(t.CONSUMER), 'same_host', """
Volumes or consumers (comma-separated, or a list) whose host the new
volumes must share: affinity.  Cinder's hint of the same name."""),
    Key('different_host', t.Words(t.CONSUMER), 'different_host', """
Volumes or consumers whose hosts the new volumes must avoid:
anti-affinity.  Cinder's hint of the same name."""),
    _LOCALITY, _MODE, _MAX, _ZONE, _RACK, _TAGS, _FORBIDDEN, _MAX_VOLUMES,
    _GROUP_POLICY,
], strict=False, what='scheduler hint')
