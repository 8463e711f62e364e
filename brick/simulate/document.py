# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Input files whose errors name the line and the field.

:func:`load_yaml` returns plain data whose mappings and lists remember
the line of each key or item (:class:`Mapping`, :class:`Sequence`); a
:class:`Where` carries the file, the field path and the line into the
error a bad value raises (:meth:`Where.error`).
"""

import dataclasses

import yaml

from brick import exception


class Mapping(dict):
    """A YAML mapping; ``lines[key]`` is the 1-based line of the key."""

    lines: dict


class Sequence(list):
    """A YAML list; ``lines[i]`` is the 1-based line of item *i*."""

    lines: list


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and remembers lines."""

    def construct_mapping(self, node, deep=False):
        found = Mapping()
        found.lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in found:
                raise yaml.constructor.ConstructorError(
                    None, None, 'duplicate key %r' % (key,),
                    key_node.start_mark)
            found[key] = self.construct_object(value_node, deep=True)
            found.lines[key] = key_node.start_mark.line + 1
        return found

    def construct_sequence(self, node, deep=False):
        found = Sequence(self.construct_object(item, deep=True)
                         for item in node.value)
        found.lines = [item.start_mark.line + 1 for item in node.value]
        return found


_Loader.add_constructor('tag:yaml.org,2002:map', _Loader.construct_mapping)
_Loader.add_constructor('tag:yaml.org,2002:seq', _Loader.construct_sequence)


@dataclasses.dataclass(frozen=True)
class Where:
    """A place in an input file: ``FILE line N, field PATH``."""

    source: str
    field: str = ''
    line: int | None = None

    def __str__(self):
        text = self.source
        if self.line is not None:
            text += ' line %d' % self.line
        if self.field:
            text += ', field %s' % self.field
        return text

    def key(self, mapping: object, key: object) -> 'Where':
        """The place of *key* in *mapping*."""
        lines = getattr(mapping, 'lines', {})
        line = lines.get(key, self.line) if isinstance(lines, dict) \
            else self.line
        return Where(self.source, '%s.%s' % (self.field, key) if self.field
                     else str(key), line)

    def item(self, sequence: object, index: int) -> 'Where':
        """The place of item *index* of *sequence*."""
        lines = getattr(sequence, 'lines', None)
        line = lines[index] if lines else self.line
        return Where(self.source, '%s[%d]' % (self.field, index), line)

    def error(self, value: object,
              allowed: str) -> exception.InvalidValue:
        """An :exc:`~brick.exception.InvalidValue` naming this place."""
        return exception.InvalidValue(field=str(self), value=value,
                                      allowed=allowed)

    def wrap(self, err: Exception) -> exception.InvalidInput:
        """*err* (a brick error about a value here), prefixed with this
        place."""
        return exception.InvalidInput(reason='%s: %s' % (
            self, str(err).rstrip('.')))


def load_yaml(path: str, what: str) -> tuple:
    """Read the YAML file at *path* (*what* names it in errors).

    :returns: ``(data, Where)``.
    :raises brick.exception.InvalidInput: unreadable or not YAML, with
        the line.
    """
    try:
        with open(path, encoding='utf-8') as stream:
            text = stream.read()
    except (OSError, UnicodeDecodeError) as err:
        raise exception.InvalidInput(reason='cannot read %s %s: %s' % (
            what, path, err)) from err
    return parse_yaml(text, str(path))


def parse_yaml(text: str, source: str) -> tuple:
    """Parse YAML *text* from *source*: ``(data, Where)``."""
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, 'problem_mark', None)
        where = Where(source, line=mark.line + 1 if mark else None)
        raise exception.InvalidInput(reason='%s: not valid YAML: %s' % (
            where, ' '.join(str(getattr(err, 'problem', err)).split())
        )) from err
    return data, Where(source, line=1)


def mapping(value: object, where: Where, allowed: tuple) -> dict:
    """*value* if it is a mapping whose keys are all in *allowed*."""
    if not isinstance(value, dict):
        raise where.error(value, 'a mapping with the keys %s'
                          % ', '.join(allowed))
    for key in value:
        if key not in allowed:
            raise where.key(value, key).error(key, 'one of the keys %s'
                                              % ', '.join(allowed))
    return value
