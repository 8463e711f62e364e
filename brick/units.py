# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Sizes: integer bytes inside brick, parsed and printed only at the edges.

``parse('20G')`` and ``parse('20GiB')`` are both 20 * 2**30: storage
tools (lvm2, qemu-img) use binary units for single letters, and brick
follows them.  Decimal units are spelled out (``'20GB'`` = 20 * 10**9).
"""

import re

from brick import exception

Ki = 1 << 10
Mi = 1 << 20
Gi = 1 << 30
Ti = 1 << 40

_BINARY = {'': 1, 'b': 1, 'k': Ki, 'm': Mi, 'g': Gi, 't': Ti, 'p': 1 << 50}
_DECIMAL = {'kb': 10**3, 'mb': 10**6, 'gb': 10**9, 'tb': 10**12,
            'pb': 10**15}
_SIZE = re.compile(r'\s*(\d+)\s*([a-zA-Z]{0,3})\s*')
_MAX_DIGITS = 25
"""More digits than any size in bytes has (2**63 has 19)."""

SIZE_SYNTAX = ('a whole number of bytes, or a number with a unit: K, M, G, T, '
               'P (or KiB, MiB, GiB, TiB, PiB; powers of 1024) or KB, MB, GB, '
               'TB, PB (powers of 1000)')


def parse(value: int | str, field: str = 'size') -> int:
    """Turn an integer or a string such as ``'10G'`` into bytes.

    :param value: an ``int`` (bytes) or a string with an optional unit.
    :param field: what the size is for, used in the error message.
    :returns: the size in bytes, an ``int`` (may be zero or negative only
        if *value* was an int; use :func:`validate` to check it).
    :raises brick.exception.InvalidSize: for anything else.
    """
    if isinstance(value, bool):
        raise exception.InvalidSize(field=field, value=value,
                                    reason='not a size', allowed=SIZE_SYNTAX)
    if isinstance(value, int):
        return value
    if not isinstance(value, str):
        raise exception.InvalidSize(field=field, value=value,
                                    reason='not a whole number of bytes',
                                    allowed=SIZE_SYNTAX)
    match = _SIZE.fullmatch(value)
    if match and len(match.group(1)) > _MAX_DIGITS:
        # int() of 4,300 digits and more raises ValueError (Python 3.11).
        raise exception.InvalidSize(field=field, value=value,
                                    reason='too large', allowed=SIZE_SYNTAX)
    unit = match.group(2).lower() if match else ''
    if unit.endswith('ib') and len(unit) == 3:
        unit = unit[0]
    factor = _BINARY.get(unit) or _DECIMAL.get(unit)
    if match is None or factor is None:
        raise exception.InvalidSize(field=field, value=value,
                                    reason='not a size', allowed=SIZE_SYNTAX)
    return int(match.group(1)) * factor


def validate(value: object, field: str = 'size', step: int = 1,
             minimum: int = 1, maximum: int | None = None) -> int:
    """Check that *value* is a usable size in bytes and return it.

    :param value: the size, an ``int`` number of bytes.
    :param field: what the size is for, used in the error message.
    :param step: the size must be a multiple of this many bytes.
    :param minimum: the smallest size allowed (at least 1).
    :param maximum: the largest size allowed, or None for no limit.
    :returns: *value*.
    :raises brick.exception.InvalidSize: naming field, value and rule.
    """
    allowed = 'a whole number of bytes from %s%s%s' % (
        show(max(minimum, 1)),
        ' to %s' % show(maximum) if maximum is not None else ' up',
        ', a multiple of %s' % show(step) if step > 1 else '')
    if isinstance(value, bool) or not isinstance(value, int):
        raise exception.InvalidSize(field=field, value=value,
                                    reason='not an integer', allowed=allowed)
    if value < max(minimum, 1):
        reason = 'not positive' if value <= 0 else 'too small'
        raise exception.InvalidSize(field=field, value=value, reason=reason,
                                    allowed=allowed)
    if maximum is not None and value > maximum:
        raise exception.InvalidSize(field=field, value=value,
                                    reason='too large', allowed=allowed)
    if value % step:
        raise exception.InvalidSize(
            field=field, value=value,
            reason='not aligned to %d bytes (next aligned size: %d)' % (
                step, round_up(value, step)),
            allowed=allowed)
    return value


def show(value: int) -> str:
    """``1048576 (1 MiB)``: bytes as programs and people read them."""
    return '%d (%s)' % (value, human(value)) if value >= Ki else str(value)


def round_up(value: int, step: int) -> int:
    """Round *value* up to a multiple of *step*."""
    return -(-value // step) * step


def human(value: int) -> str:
    """Print a byte count the way operators read it: ``'20 GiB'``.

    Exact multiples print without decimals; anything else with two.
    """
    for unit, size in (('PiB', 1 << 50), ('TiB', Ti), ('GiB', Gi),
                       ('MiB', Mi), ('KiB', Ki)):
        if abs(value) >= size:
            if value % size == 0:
                return '%d %s' % (value // size, unit)
            return '%.2f %s' % (value / size, unit)
    return '%d B' % value
