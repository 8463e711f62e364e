# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Checks of the inventory's fields, shared by the API and the YAML file.

Pure functions: each returns the checked value or raises a
:mod:`brick.exception` error that names the field, the value and what is
allowed.  Nothing here touches a database.
"""

import fractions
import math
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any
from typing import Literal
from typing import TypeVar
from typing import cast
from typing import overload

from brick import exception
from brick import names
from brick import units
from brick.db import models

S = TypeVar('S', bound=str)

MAX_SIZE = 2 ** 63 - 1
"""BIGINT: the largest size a column holds."""

POOL_DEFAULTS: dict[str, Any] = {
    'total': 0, 'reserved': 0, 'allocation_ratio': 1.0, 'min_unit': 1,
    'max_unit': None, 'step': 1, 'max_volume': None, 'cost': 0.0,
    'role': None, 'tags': (), 'state': 'enabled',
}
"""Every settable pool field and its value when not given."""

SIZES = ('total', 'reserved', 'min_unit', 'max_unit', 'step', 'max_volume')
"""The pool fields that are sizes in bytes."""

REPORTED = ('total', 'step', 'max_volume', 'unmanaged')
"""Fields a node's capacity report sets (see :mod:`brick.inventory.pools`)."""


def capacity(total: int, reserved: int, allocation_ratio: float) -> int:
    """``int((total - reserved) * allocation_ratio)``, never negative.

    The ratio is applied as the exact fraction its float is, so the
    result is exact for sizes beyond 2**53 bytes too.
    """
    if total <= reserved:
        return 0
    if allocation_ratio == 1.0:
        return total - reserved
    return min(MAX_SIZE, int(fractions.Fraction(total - reserved)
                             * fractions.Fraction(allocation_ratio)))


def choice(value: object, field: str, allowed: Sequence[S]) -> S:
    """*value* if it is one of *allowed*."""
    if value not in allowed:
        raise exception.InvalidValue(field=field, value=value,
                                     allowed=', '.join(allowed))
    return cast(S, value)  # equal to one of them


@overload
def size(value: object, field: str, minimum: int = 0,
         optional: Literal[False] = False) -> int: ...


@overload
def size(value: object, field: str, minimum: int = 0,
         optional: bool = False) -> int | None: ...


def size(value: object, field: str, minimum: int = 0,
         optional: bool = False) -> int | None:
    """An int number of bytes, at least *minimum* (None if *optional*)."""
    if value is None and optional:
        return None
    allowed = 'a whole number of bytes from %d to %d%s' % (
        minimum, MAX_SIZE, ', or none' if optional else '')
    if isinstance(value, bool) or not isinstance(value, int):
        raise exception.InvalidSize(field=field, value=value,
                                    reason='not an integer', allowed=allowed)
    if value < minimum or value > MAX_SIZE:
        raise exception.InvalidSize(
            field=field, value=value,
            reason='negative' if value < 0 else 'out of range',
            allowed=allowed)
    return value


def number(value: object, field: str, positive: bool = False) -> float:
    """A finite float, at least 0 (above 0 if *positive*)."""
    allowed = 'a number %s 0' % ('above' if positive else 'of at least')
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not math.isfinite(value) or value < 0 or (positive and not value):
        raise exception.InvalidValue(field=field, value=value,
                                     allowed=allowed)
    return float(value)


TAG_ALLOWED = '1 to 63 characters, no spaces or commas'


def tags(value: object, field: str) -> tuple[str, ...]:
    """A sorted tuple of distinct tags from a list."""
    if isinstance(value, str) or not isinstance(value, (list, tuple, set,
                                                        frozenset)):
        raise exception.InvalidValue(field=field, value=value,
                                     allowed='a list of tags (%s)'
                                     % TAG_ALLOWED)
    for tag in value:
        if not isinstance(tag, str) or not 0 < len(tag) <= 63 or any(
                char.isspace() or char == ',' for char in tag):
            raise exception.InvalidName(field='tag in ' + field, value=tag,
                                        reason='not a tag',
                                        allowed=TAG_ALLOWED)
    return tuple(sorted(set(value)))


def scope(host: str | None, rack: str | None, zone: str | None,
          what: str) -> tuple[str, str]:
    """``(scope, owner name)`` from exactly one of host, rack and zone."""
    given = [(scope, owner) for scope, owner in (
        ('host', host), ('rack', rack), ('zone', zone)) if owner is not None]
    if len(given) != 1:
        raise exception.InvalidInput(
            reason='%s needs exactly one owner: host, rack or zone; got %s'
            % (what, ', '.join(s for s, _ in given) or 'none'))
    scope_name, owner = given[0]
    names.validate(owner, '%s name (owner of %s)' % (scope_name, what))
    return scope_name, owner


def pool(values: Mapping[str, Any], what: str) -> dict[str, Any]:
    """Check a complete set of pool fields (defaults filled in).

    :param values: ``{field: value}`` with every key of
        :data:`POOL_DEFAULTS`.
    :param what: names the pool in messages, e.g. ``'pool host:n1/fast'``.
    :returns: a new dict, tags as a sorted tuple and floats as float.
    :raises brick.exception.InvalidInput: naming the field.
    """
    unknown = sorted(set(values) - set(POOL_DEFAULTS))
    if unknown:
        raise exception.InvalidValue(field='field of ' + what,
                                     value=unknown[0],
                                     allowed=', '.join(POOL_DEFAULTS))
    checked = dict(values)
    for field in ('total', 'reserved'):
        checked[field] = size(values[field], '%s of %s' % (field, what))
    for field in ('min_unit', 'step'):
        checked[field] = size(values[field], '%s of %s' % (field, what),
                              minimum=1)
    for field in ('max_unit', 'max_volume'):
        checked[field] = size(values[field], '%s of %s' % (field, what),
                              optional=True)
    if checked['total'] and checked['reserved'] > checked['total']:
        # total 0 is "not known yet": no node has reported the pool and
        # no starting value was given; the report will be checked.
        raise exception.InvalidSize(
            field='reserved of ' + what, value=checked['reserved'],
            reason='%s, more than the total of %s' % (
                units.human(checked['reserved']),
                units.show(checked['total'])),
            allowed='at most the total: a pool whose reserved space '
                    'exceeds its total could never hold a volume')
    if checked['max_unit'] is not None and \
            checked['max_unit'] < checked['min_unit']:
        raise exception.InvalidSize(
            field='max_unit of ' + what, value=checked['max_unit'],
            reason='below min_unit %d' % checked['min_unit'],
            allowed='at least min_unit, or none')
    checked['allocation_ratio'] = number(
        values['allocation_ratio'], 'allocation_ratio of ' + what,
        positive=True)
    checked['cost'] = number(values['cost'], 'cost of ' + what)
    if values['role'] is not None:
        names.validate(values['role'], 'role of ' + what)
    checked['tags'] = tags(values['tags'], 'tags of ' + what)
    choice(values['state'], 'state of ' + what, models.POOL_STATES)
    return checked
