# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Typed keys and the registry that validates them.

A :class:`Key` is one flavor extra spec or scheduler hint: its name (a
template such as ``volume{N}_gb`` for numbered keys), its value type, the
request field it sets and a description.  A :class:`Registry` holds the
keys of one namespace and turns a mapping of strings into typed values,
raising :class:`brick.exception.InvalidValue` (naming the key, the value
and what is allowed) for anything else.  It is the same design as Nova's
``ExtraSpecValidator`` (``nova/api/validation/extra_specs/base.py``); the
registry also writes the operator documentation
(:mod:`brick.scheduler.spec_docs`).
"""

import dataclasses
import re
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any
from typing import Generic
from typing import TypeVar
from typing import cast

from oslo_utils import strutils

from brick import exception

T = TypeVar('T')

MAX_VOLUMES = 16
"""Highest volume number in numbered keys (``volume16_gb``)."""


class Type(Generic[T]):
    """How one kind of value is parsed, printed and described."""

    allowed = ''

    def parse(self, value: object) -> T:
        """Return the typed value of *value* or raise ValueError."""
        raise NotImplementedError

    def format(self, value: T) -> str:
        """Return the canonical string of a typed value."""
        return str(value)


class Integer(Type[int]):
    def __init__(self, minimum: int = 0, maximum: int | None = None,
                 unit: str = '') -> None:
        self.minimum, self.maximum, self.unit = minimum, maximum, unit
        upper = ' to %d' % maximum if maximum is not None else ' or more'
        self.allowed = 'a whole number%s from %d%s' % (
            ' of %s' % unit if unit else '', minimum, upper)

    def parse(self, value: object) -> int:
        if isinstance(value, bool):
            raise ValueError(value)
        if isinstance(value, str):
            if not re.fullmatch(r'\s*\+?\d{1,19}\s*', value):
                raise ValueError(value)
            value = int(value)
        if not isinstance(value, int) or value < self.minimum or (
                self.maximum is not None and value > self.maximum):
            raise ValueError(value)
        return value


class Boolean(Type[bool]):
    allowed = 'true or false (also yes/no, on/off, 1/0)'

    def parse(self, value: object) -> bool:
        if isinstance(value, bool):
            return value
        if not isinstance(value, str):
            raise ValueError(value)
        return strutils.bool_from_string(value.strip(), strict=True)

    def format(self, value: bool) -> str:
        return 'true' if value else 'false'


class Choice(Type[str]):
    def __init__(self, *choices: str) -> None:
        self.choices = choices
        self.allowed = 'one of ' + ', '.join(choices)

    def parse(self, value: object) -> str:
        if not isinstance(value, str) or value.strip() not in self.choices:
            raise ValueError(value)
        return value.strip()


class Word(Type[str]):
    """One name matching a pattern."""

    def __init__(self, pattern: str, what: str) -> None:
        self.pattern = re.compile(pattern)
        self.allowed = what

    def parse(self, value: object) -> str:
        if not isinstance(value, str) or not self.pattern.fullmatch(
                value.strip()):
            raise ValueError(value)
        return value.strip()


class Words(Type[tuple[str, ...]]):
    """A set of names, comma-separated in a string (or a list, for
    scheduler hints and Python callers); printed sorted."""

    def __init__(self, word: Word) -> None:
        self.word = word
        self.allowed = 'a comma-separated list of %s' % word.allowed

    def parse(self, value: object) -> tuple[str, ...]:
        items: list[object]
        if isinstance(value, str):
            items = [item for item in value.split(',') if item.strip()]
        elif isinstance(value, (list, tuple, set, frozenset)):
            items = list(value)
        else:
            raise ValueError(value)
        if not items:
            raise ValueError(value)
        return tuple(sorted({self.word.parse(item) for item in items}))

    def format(self, value: tuple[str, ...]) -> str:
        return ','.join(value)


NAME = Word(r'[A-Za-z0-9][A-Za-z0-9._+-]{0,62}',
            'names of 1 to 63 characters from A-Z a-z 0-9 . _ + -')
TAG = Word(r'[^\s,]{1,63}', 'tags of 1 to 63 characters without spaces or '
           'commas (as pools carry them)')
CONSUMER = Word(r'[^\s,]{1,255}', 'an id of 1 to 255 characters without '
                'spaces or commas')


@dataclasses.dataclass(frozen=True)
class Key:
    """One registered key."""

    name: str
    """The key without namespace; ``{N}`` marks a volume number."""
    type: Type[Any]
    field: str
    """The :class:`~brick.scheduler.request.RequestSpec` field (or, for
    numbered keys, :class:`~brick.scheduler.request.VolumeRequest`
    field) it sets."""
    description: str
    scale: int = 1
    """Multiply the parsed value by this (GiB to bytes)."""

    @property
    def numbered(self) -> bool:
        return '{N}' in self.name


@dataclasses.dataclass(frozen=True)
class Parsed:
    """What a registry made of a mapping: typed values by field."""

    fields: dict[str, Any]
    """Request-wide values, ``{field: value}``."""
    volumes: dict[int, dict[str, Any]]
    """Per-volume values, ``{number: {field: value}}`` (numbers from 1)."""
    keys: dict[str, Any]
    """The typed value of every key read, ``{full key: value}``."""


class Registry:
    """The keys of one namespace.

    :param namespace: the prefix before ``:`` (``'brick'``), or None for
        scheduler hints, which have no prefix.
    :param keys: the :class:`Key` objects.
    :param strict: raise on an unknown key of the namespace (extra specs)
        instead of ignoring it (hints, which other services share).
    :param what: how an error names a key, e.g. ``'flavor extra spec'``.
    """

    def __init__(self, namespace: str | None, keys: Iterable[Key],
                 strict: bool = True, what: str = 'key') -> None:
        self.namespace = namespace
        self.keys = tuple(keys)
        self.strict = strict
        self.what = what
        prefix = re.escape(namespace + ':') if namespace else ''
        self._patterns = [
            (re.compile(prefix + re.escape(key.name).replace(
                re.escape('{N}'), r'(?P<n>[1-9][0-9]?)')), key)
            for key in self.keys]

    def full_name(self, key: Key, number: int | None = None) -> str:
        name = key.name.replace('{N}', str(number)) if number else key.name
        return '%s:%s' % (self.namespace, name) if self.namespace else name

    def names(self) -> list[str]:
        """Every key's full name, numbered ones with ``{N}``."""
        return [self.full_name(key) for key in self.keys]

    def _mine(self, name: str) -> bool:
        if self.namespace is None:
            return True
        return name.startswith(self.namespace + ':')

    def lookup(self, name: object) -> tuple[Key, int | None] | None:
        """Return ``(key, number)`` for full key *name*, or None when it
        is outside the namespace (or an unknown hint).

        :raises brick.exception.InvalidValue: an unknown key inside the
            namespace of a strict registry, or a key that is no string.
        """
        if not isinstance(name, str):
            raise exception.InvalidValue(
                field='%s key' % self.what, value=name,
                allowed='strings such as ' + ', '.join(self.names()))
        for pattern, key in self._patterns:
            match = pattern.fullmatch(name)
            if match is None:
                continue
            number = int(match.group('n')) if key.numbered else None
            if number is not None and number > MAX_VOLUMES:
                break
            return key, number
        if self.strict and self._mine(name):
            raise exception.InvalidValue(
                field='%s key' % self.what, value=name,
                allowed='%s (volume numbers N from 1 to %d)' % (
                    ', '.join(self.names()), MAX_VOLUMES))
        return None

    def parse(self, mapping: Mapping[str, object] | None) -> Parsed:
        """Validate *mapping* and return its typed values.

        Keys of other namespaces are ignored, as Nova ignores them.

        :param mapping: ``{key: value}``, values normally strings.
        :returns: a :class:`Parsed`.
        :raises brick.exception.InvalidValue: naming key, value and what
            is allowed.
        """
        if mapping is None:
            mapping = {}
        if not hasattr(mapping, 'items'):
            raise exception.InvalidValue(
                field=self.what + 's', value=mapping,
                allowed='a mapping of keys to values')
        fields: dict[str, Any] = {}
        volumes: dict[int, dict[str, Any]] = {}
        keys: dict[str, Any] = {}
        for name, raw in sorted(mapping.items(), key=lambda kv: str(kv[0])):
            found = self.lookup(name)
            if found is None:
                continue
            key, number = found
            try:
                value = key.type.parse(raw)
            except (ValueError, TypeError, OverflowError) as err:
                raise exception.InvalidValue(
                    field='%s %s' % (self.what, name), value=raw,
                    allowed=key.type.allowed) from err
            keys[name] = value
            if key.scale != 1:
                value *= key.scale
            if number is None:
                fields[key.field] = value
            else:
                volumes.setdefault(number, {})[key.field] = value
        return Parsed(fields, volumes, keys)

    def format(self, keys: Mapping[str, Any]) -> dict[str, str]:
        """Return the canonical strings of typed values by full key, the
        inverse of :attr:`Parsed.keys`: ``parse(format(p.keys))`` gives
        back ``p``."""
        result: dict[str, str] = {}
        for name, value in keys.items():
            key, _number = cast(tuple[Key, int | None], self.lookup(name))
            result[name] = key.type.format(value)
        return result
