# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""What a placement asks for: :class:`RequestSpec` and its volumes.

A request is built by :func:`build` from three sources; for every field
the first source that sets it wins:

1. explicit arguments (``nova boot --local-storage 20``, a volume
   service's ``size``), typed Python values;
2. scheduler hints (:data:`brick.scheduler.extra_specs.HINTS`);
3. the flavor's ``brick:`` extra specs
   (:data:`brick.scheduler.extra_specs.EXTRA_SPECS`), the implicit case;
   inside the flavor a numbered key (``brick:volume2_gb``) wins over the
   flavor-wide one (``brick:local_gb``).

Pairing and affinity are fields of the request, resolved to hosts by the
selector: ``local_to_instance`` (stay on instance X's host),
``near_volume`` (go to volume V's host), ``same_host`` and
``different_host`` (affinity and anti-affinity with existing volumes or
consumers) and ``group_policy`` (between the request's own volumes).
"""

import dataclasses
import functools
import types
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any
from typing import TypeAlias
from typing import TypedDict
from typing import Unpack
from typing import cast

from brick import exception
from brick import names
from brick import units
from brick.inventory import pools as pools_mod
from brick.inventory import topology
from brick.scheduler import extra_specs
from brick.scheduler import spec_types

TIERS: dict[extra_specs.Locality, int] = {
    'host': topology.SAME_HOST, 'rack': topology.SAME_RACK,
    'zone': topology.SAME_ZONE, 'any': topology.FAR}
"""Locality names and the largest distance each allows."""
TIER_NAMES = {tier: name for name, tier in TIERS.items()}

_WORDS = spec_types.Words(spec_types.NAME)
_TAGS = spec_types.Words(spec_types.TAG)
_CONSUMERS = spec_types.Words(spec_types.CONSUMER)


def _tags(value: object, field: str) -> frozenset[str]:
    if value is None or value == () or value == frozenset():
        return frozenset()
    try:
        return frozenset(_TAGS.parse(value))
    except (ValueError, TypeError) as err:
        raise exception.InvalidValue(field=field, value=value,
                                     allowed=_TAGS.allowed) from err


@dataclasses.dataclass(frozen=True)
class VolumeRequest:
    """One volume to place.  Sizes are int bytes."""

    size: int
    drivers: tuple[str, ...] = ()
    """Drivers the volume may use, any of them; empty: any driver."""
    format: extra_specs.Format | None = None
    """``raw``, ``qcow2`` or ``vdi``; None: any."""
    thin: bool | None = None
    """True: thin pools only; False: thick only; None: either."""
    tags: frozenset[str] = frozenset()
    """Tags the pool must all carry."""
    forbidden_tags: frozenset[str] = frozenset()
    """Tags the pool must not carry."""
    name: str | None = None
    """The volume's name, when the caller already knows it."""

    def __post_init__(self) -> None:
        units.validate(self.size, 'volume size')
        drivers = self.drivers
        if isinstance(drivers, str):
            drivers = (drivers,)
        try:
            drivers = _WORDS.parse(list(drivers)) if drivers else ()
        except (ValueError, TypeError) as err:
            raise exception.InvalidValue(field='volume drivers',
                                         value=self.drivers,
                                         allowed=_WORDS.allowed) from err
        object.__setattr__(self, 'drivers', drivers)
        if self.format not in (None,) + extra_specs.FORMATS:
            raise exception.InvalidValue(
                field='volume format', value=self.format,
                allowed=', '.join(extra_specs.FORMATS) + ' or None')
        if self.thin not in (None, True, False):
            raise exception.InvalidValue(field='volume thin',
                                         value=self.thin,
                                         allowed='True, False or None')
        object.__setattr__(self, 'tags', _tags(self.tags, 'volume tags'))
        object.__setattr__(self, 'forbidden_tags', _tags(
            self.forbidden_tags, 'volume forbidden_tags'))
        _check_tags(self.tags, self.forbidden_tags)
        if self.name is not None:
            names.validate(self.name, 'volume name')


def _check_tags(tags: frozenset[str], forbidden: frozenset[str]) -> None:
    """Refuse a tag both required and forbidden."""
    both = tags & forbidden
    if both:
        raise exception.InvalidValue(
            field='forbidden_tags', value=','.join(sorted(both)),
            allowed='tags not also required (brick:tags and '
                    'brick:forbidden_tags contradict each other on '
                    '%s)' % ','.join(sorted(both)))


def _choice(value: object, field: str, choices: Sequence[str]) -> object:
    if value not in choices:
        raise exception.InvalidValue(field=field, value=value,
                                     allowed=', '.join(choices))
    return value


def _consumers(value: object, field: str) -> tuple[str, ...]:
    if value in (None, (), []):
        return ()
    try:
        return _CONSUMERS.parse(value)
    except (ValueError, TypeError) as err:
        raise exception.InvalidValue(field=field, value=value,
                                     allowed=_CONSUMERS.allowed) from err


@dataclasses.dataclass(frozen=True)
class RequestSpec:
    """A validated placement request.  Build one with :func:`build`, or
    directly when every field is already typed."""

    volumes: tuple[VolumeRequest, ...] = ()
    """The :class:`VolumeRequest` objects; all go for one consumer."""
    locality: extra_specs.Locality = 'host'
    locality_mode: extra_specs.Mode = 'required'
    locality_max: extra_specs.Locality = 'any'
    group_policy: extra_specs.GroupPolicy = 'none'
    availability_zone: str | None = None
    """The zone consumer and pools must be in (None: any)."""
    rack: str | None = None
    """The rack consumer and pools must be in (None: any)."""
    tags: frozenset[str] = frozenset()
    """Request-wide tags, already merged into each volume's; kept for
    explanations."""
    forbidden_tags: frozenset[str] = frozenset()
    same_host: tuple[str, ...] = ()
    different_host: tuple[str, ...] = ()
    local_to_instance: str | None = None
    near_volume: str | None = None
    hosts: tuple[str, ...] | None = None
    """Hosts the consumer may run on (e.g. those the compute service's
    own filters kept); None: any host."""
    exclude_hosts: frozenset[str] = frozenset()
    """Hosts to leave out: where earlier attempts failed."""
    exclude_pools: frozenset[str] = frozenset()
    """Pool keys (:attr:`PoolState.key`) to leave out."""
    max_volumes_per_host: int | None = None
    consumer: str | None = None
    """The instance or volume id the volumes are for."""
    origin: Mapping[str, str] = dataclasses.field(
        default_factory=lambda: types.MappingProxyType({}), compare=False)
    """Which source set each field: argument, hint, flavor, default."""

    def _check_sets(self) -> None:
        """Normalise the tag and consumer sets; refuse contradictions
        (checked here too: a flavor without local storage has no
        VolumeRequest to check its tags)."""
        for field in ('tags', 'forbidden_tags'):
            object.__setattr__(self, field, _tags(getattr(self, field),
                                                  field))
        _check_tags(self.tags, self.forbidden_tags)
        for field in ('same_host', 'different_host'):
            object.__setattr__(self, field, _consumers(
                getattr(self, field), field))
        both = set(self.same_host) & set(self.different_host)
        if both:
            raise exception.InvalidValue(
                field='different_host', value=','.join(sorted(both)),
                allowed='members not also named by same_host (with and '
                        'away from %s at once)' % ','.join(sorted(both)))

    def __post_init__(self) -> None:
        vols = tuple(self.volumes)
        if not all(isinstance(vol, VolumeRequest) for vol in vols):
            raise exception.InvalidValue(
                field='volumes', value=self.volumes,
                allowed='VolumeRequest objects')
        object.__setattr__(self, 'volumes', vols)
        _choice(self.locality, 'locality', tuple(TIERS))
        _choice(self.locality_mode, 'locality_mode', extra_specs.MODES)
        _choice(self.locality_max, 'locality_max', tuple(TIERS))
        _choice(self.group_policy, 'group_policy',
                extra_specs.GROUP_POLICIES)
        if (self.locality_mode == 'preferred'
                and TIERS[self.locality_max] < TIERS[self.locality]):
            raise exception.InvalidValue(
                field='locality_max', value=self.locality_max,
                allowed='a tier at least as wide as locality %r: %s' % (
                    self.locality, ', '.join(
                        n for n, d in TIERS.items()
                        if d >= TIERS[self.locality])))
        self._check_sets()
        for field in ('availability_zone', 'rack'):
            value = getattr(self, field)
            if value is not None:
                names.validate(value, field)
        if self.consumer is not None:
            try:
                spec_types.CONSUMER.parse(self.consumer)
            except (ValueError, TypeError) as err:
                raise exception.InvalidValue(
                    field='consumer', value=_cut(self.consumer),
                    allowed=spec_types.CONSUMER.allowed) from err
        if self.hosts is not None:
            object.__setattr__(self, 'hosts', tuple(
                names.validate(h, 'host name') for h in self.hosts))
        object.__setattr__(self, 'exclude_hosts', frozenset(
            names.validate(h, 'excluded host') for h in self.exclude_hosts))
        object.__setattr__(self, 'exclude_pools', frozenset(
            self.exclude_pools))
        if self.max_volumes_per_host is not None:
            try:
                _VOLUME_LIMIT.parse(self.max_volumes_per_host)
            except ValueError as err:
                raise exception.InvalidValue(
                    field='max_volumes_per_host',
                    value=self.max_volumes_per_host,
                    allowed=_VOLUME_LIMIT.allowed) from err

    @property
    def tier(self) -> int:
        """The largest distance allowed at first (0 host ... 3 any)."""
        return TIERS[self.locality]

    @property
    def widest_tier(self) -> int:
        """The largest distance allowed at all."""
        if self.locality_mode == 'preferred':
            return TIERS[self.locality_max]
        return self.tier

    def summary(self) -> str:
        """A one-line description for logs and errors."""
        sizes = '+'.join(units.human(vol.size) for vol in self.volumes)
        parts = ['%d volume(s) of %s' % (len(self.volumes), sizes or '-'),
                 'locality %s %s' % (self.locality_mode, self.locality)]
        drivers = sorted({d for vol in self.volumes for d in vol.drivers})
        if drivers:
            parts.append('driver %s' % '|'.join(drivers))
        tags = sorted({t for vol in self.volumes for t in vol.tags})
        if tags:
            parts.append('tags %s' % ','.join(tags))
        for field in ('local_to_instance', 'near_volume',
                      'availability_zone', 'rack'):
            if getattr(self, field):
                parts.append('%s %s' % (field, getattr(self, field)))
        if self.different_host:
            parts.append('away from %s' % ','.join(self.different_host))
        if self.same_host:
            parts.append('with %s' % ','.join(self.same_host))
        return ', '.join(parts)


# Every argument but ``size`` is a flavor-wide extra spec or a hint of
# the same name, typed as the registry types it.
_ARGS: dict[str, tuple[str, spec_types.Type[Any] | None]] = {
    key.name: (key.field, key.type)
         for registry in (extra_specs.EXTRA_SPECS, extra_specs.HINTS)
         for key in registry.keys if not key.numbered and key.scale == 1}
_ARGS['size'] = ('size', None)
_VOLUME_LIMIT = cast(spec_types.Type[int], _ARGS['max_volumes_per_host'][1])

# Taken as given: RequestSpec validates them.
_PASSED = ('volumes', 'hosts', 'exclude_hosts', 'exclude_pools', 'consumer')
_REQUEST_FIELDS = ('locality', 'locality_mode', 'locality_max',
                   'group_policy', 'max_volumes_per_host', 'same_host',
                   'different_host', 'local_to_instance', 'near_volume',
                   'availability_zone', 'rack', 'tags', 'forbidden_tags')
_ANCHORS = ('local_to_instance', 'near_volume', 'hosts')
"""Fields that name the consumer's host: the default locality is then
``host``, else ``any`` (issue: a volume request in a site of shared
pools found nothing with ``host``)."""


def _cut(value: object, limit: int = 40) -> str:
    """*value* for an error message: long ones cut, with their length."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) <= limit:
        return text
    return '%s... (%d characters)' % (text[:limit], len(text))


@functools.lru_cache(maxsize=1)
def _installed_drivers() -> tuple[str, ...]:
    from brick import drivers
    return tuple(drivers.names())


def check_drivers(volumes: Iterable[VolumeRequest]) -> None:
    """Refuse a driver that is not installed, as ``brick inventory
    apply`` does (:func:`brick.inventory.pools.check_driver`).

    :raises brick.exception.DriverNotFound: naming the installed ones.
    """
    for volume in volumes:
        for name in volume.drivers:
            pools_mod.check_driver(name, 'brick:driver',
                                   _installed_drivers())
_VOLUME_FIELDS = ('drivers', 'format', 'thin', 'tags', 'forbidden_tags')


def _parse_args(args: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, raw in args.items():
        if raw is None:
            continue
        if name in _PASSED:
            values[name] = raw
            continue
        if name not in _ARGS:
            raise exception.InvalidValue(
                field='request argument', value=name,
                allowed=', '.join(sorted(set(_ARGS) | set(_PASSED))))
        field, kind = _ARGS[name]
        if kind is None:
            values[field] = units.validate(units.parse(raw, 'size'), 'size')
            continue
        try:
            values[field] = kind.parse(raw)
        except (ValueError, TypeError) as err:
            raise exception.InvalidValue(field='argument %s' % name,
                                         value=raw,
                                         allowed=kind.allowed) from err
    return values


def _volume(value: object) -> VolumeRequest:
    if isinstance(value, VolumeRequest):
        return value
    fields = [field.name for field in dataclasses.fields(VolumeRequest)]
    if not isinstance(value, dict) or set(value) - set(fields) or \
            'size' not in value:
        raise exception.InvalidValue(
            field='volume', value=value,
            allowed='a VolumeRequest, or a dict with size and any of %s'
            % ', '.join(fields[1:]))
    return VolumeRequest(**value)


def _volume_list(layers: Sequence[tuple[str, Mapping[str, Any]]],
                 numbered: Mapping[int, Mapping[str, Any]]
                 ) -> tuple[tuple[VolumeRequest, ...], str]:
    """Build the volumes from the flavor's numbered and flavor-wide keys,
    overridden by hints and arguments."""
    def pick(field: str, number: int | None = None) -> tuple[Any, str]:
        for origin, values in layers:
            if origin == 'flavor' and number is not None and \
                    number in numbered and field in numbered[number]:
                return numbered[number][field], origin
            if field in values:
                return values[field], origin
        return None, 'default'

    count, origin = pick('count')
    size, size_origin = pick('size')
    if count is None:
        count = max(numbered) if numbered else (1 if size else 0)
    if size == 0 and not any('size' in v for v in numbered.values()):
        return (), size_origin
    beyond = sorted(n for n in numbered if n > count)
    if beyond:
        raise exception.InvalidValue(
            field='flavor extra spec brick:volume%d_*' % beyond[0],
            value=beyond[0],
            allowed='volume numbers up to brick:count (%d)' % count)
    volumes: list[VolumeRequest] = []
    for number in range(1, count + 1):
        fields = {field: pick(field, number)[0] for field in _VOLUME_FIELDS}
        vol_size, vol_origin = pick('size', number)
        if not vol_size:
            raise exception.InvalidValue(
                field='size of volume %d' % number, value=vol_size,
                allowed='a size argument, brick:volume%d_gb or '
                        'brick:local_gb above 0' % number)
        fields['tags'] = fields['tags'] or ()
        fields['forbidden_tags'] = fields['forbidden_tags'] or ()
        fields['drivers'] = fields['drivers'] or ()
        volumes.append(VolumeRequest(size=vol_size, **fields))
    origins = {origin, size_origin} - {'default'}
    return tuple(volumes), '+'.join(sorted(origins)) or 'default'


Words: TypeAlias = (str | list[str] | tuple[str, ...] | set[str]
                    | frozenset[str])
"""Names or tags: comma-separated in one string, or a collection."""


class RequestArguments(TypedDict, total=False):
    """The explicit arguments of :func:`build` but a volume's size and
    whereabouts (:class:`BuildArguments`): what
    :meth:`brick.api.API.create_volume` takes as ``**args``."""

    count: int | str | None
    driver: Words | None
    format: str | None
    thin: bool | str | None
    locality: str | None
    locality_mode: str | None
    locality_max: str | None
    tags: Words | None
    forbidden_tags: Words | None
    max_volumes_per_host: int | str | None
    group_policy: str | None
    same_host: Words | None
    different_host: Words | None
    availability_zone: str | None
    rack: str | None
    volumes: Iterable[VolumeRequest | Mapping[str, Any]] | None
    hosts: Iterable[str] | None
    exclude_hosts: Iterable[str] | None
    exclude_pools: Iterable[str] | None
    consumer: str | None


class BuildArguments(RequestArguments, total=False):
    """The explicit arguments of :func:`build`; None is as not given.
    Strings are parsed as the scheduler hint of the same name is."""

    size: int | str | None
    local_to_instance: str | None
    near_volume: str | None


def build(flavor: Mapping[str, object] | None = None,
          hints: Mapping[str, object] | None = None, *,
          defaults: Mapping[str, str] | None = None,
          **args: Unpack[BuildArguments]) -> RequestSpec:
    """Build a :class:`RequestSpec` from arguments, hints and a flavor.

    :param flavor: the flavor's extra specs, ``{key: str}``; keys outside
        ``brick:`` are ignored.
    :param hints: scheduler hints, ``{name: str or list}``; unknown names
        are ignored.
    :param defaults: values used when no other source sets them, e.g.
        ``{'locality': 'host'}`` for an instance's boot; without one the
        locality is ``host`` when the request names its consumer host
        (``local_to_instance``, ``near_volume``, ``hosts``) and ``any``
        otherwise.
    :param args: explicit values, which win over both: ``size`` (int
        bytes or a string such as ``'20G'``), ``count``, ``driver``,
        ``format``, ``thin``, ``locality``, ``locality_mode``,
        ``locality_max``, ``tags``, ``forbidden_tags``,
        ``max_volumes_per_host``, ``group_policy``, ``same_host``,
        ``different_host``, ``local_to_instance``, ``near_volume``,
        ``availability_zone``, ``rack``;
        passed as given: ``volumes`` (:class:`VolumeRequest` objects,
        replacing every other source of volumes), ``hosts``,
        ``exclude_hosts``, ``exclude_pools``, ``consumer``.
    :returns: a :class:`RequestSpec`; its ``volumes`` is empty when the
        flavor asks for no local storage.
    :raises brick.exception.InvalidValue: an unknown ``brick:`` key or
        argument, or a bad value, naming key, value and what is allowed.
    :raises brick.exception.InvalidSize: a bad size argument.
    :raises brick.exception.DriverNotFound: a driver not installed.
    """
    flavor_p = extra_specs.EXTRA_SPECS.parse(flavor)
    hint_p = extra_specs.HINTS.parse(hints)
    explicit = _parse_args(args)
    layers = (('argument', explicit), ('hint', hint_p.fields),
              ('flavor', flavor_p.fields))
    fields: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for field in _REQUEST_FIELDS:
        for source, values in layers:
            if field in values:
                fields[field], origin[field] = values[field], source
                break
    if 'volumes' in explicit:
        volumes = tuple(_volume(vol) for vol in explicit['volumes'])
        origin['volumes'] = 'argument'
    else:
        volumes, origin['volumes'] = _volume_list(layers, flavor_p.volumes)
    for tag_field in ('tags', 'forbidden_tags'):
        fields[tag_field] = frozenset(fields.get(tag_field, ()))
    for name in _PASSED[1:]:
        if name in explicit:
            fields[name] = explicit[name]
    if 'locality' not in fields:
        # Naming the consumer's host, or a locality mode or limit,
        # speaks of distance from that host: host-local by default.
        anchored = any(fields.get(name) is not None for name in _ANCHORS) \
            or 'locality_mode' in fields or 'locality_max' in fields
        fields['locality'] = (defaults or {}).get(
            'locality', 'host' if anchored else 'any')
        origin['locality'] = 'default'
    check_drivers(volumes)
    return RequestSpec(volumes=volumes, origin=types.MappingProxyType(origin),
                       **fields)
