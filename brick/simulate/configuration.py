# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Scheduler configurations to compare, side by side.

A configuration is a name, ``[brick_scheduler]`` options by their
option names and ``reserve_count`` (``[brick_workflow]``)::

    configurations:
      - name: today                       # the configured defaults
      - name: pack
        capacity_weight_multiplier: -1.0  # fill the fullest pools first
        reserve_count: 1
      - name: blend                       # a weighted sum, as Nova ranks
        weigher_precedence: {locality: 0, cost: 0}
        enabled_filters: [state, driver, tags, locality, capacity]

Options not named keep the base values (the operator's configuration
file for ``brick simulate``, else brick's defaults).  On the command
line: ``--compare 'pack:capacity_weight_multiplier=-1;reserve_count=1'``.
"""

import dataclasses

from brick import exception
from brick import names
from brick.simulate import adapter
from brick.simulate import document

DEFAULT_RESERVE_COUNT = 2
"""``[brick_workflow]reserve_count``'s default."""


@dataclasses.dataclass(frozen=True)
class Configuration:
    name: str
    options: dict = dataclasses.field(default_factory=dict)
    """``{[brick_scheduler] option: value}`` changed from the base."""
    reserve_count: int | None = None
    """None: the base's."""


@dataclasses.dataclass(frozen=True)
class Base:
    """What a configuration changes: settings and a reserve count."""

    settings: object = None
    reserve_count: int = DEFAULT_RESERVE_COUNT

    def resolve(self, config: Configuration, seed: int) -> tuple:
        """``(Settings, reserve_count)`` of *config*.

        :raises brick.exception.InvalidInput: a bad option or value.
        """
        try:
            settings = adapter.make_settings(config.options, self.settings,
                                             seed)
        except exception.BrickException as err:
            raise exception.InvalidInput(reason='configuration %s: %s' % (
                config.name, str(err).rstrip('.'))) from err
        count = config.reserve_count or self.reserve_count
        return settings, count

    def values(self, config: Configuration, seed: int) -> dict:
        settings, count = self.resolve(config, seed)
        return dict(adapter.settings_values(settings), reserve_count=count)


def _reserve_count(value, where):
    if isinstance(value, bool):
        raise where.error(value, 'an integer of at least 1')
    try:
        count = int(value)
    except (TypeError, ValueError):
        raise where.error(value, 'an integer of at least 1') from None
    if count < 1 or str(count) != str(value).strip():
        raise where.error(value, 'an integer of at least 1')
    return count


def _make(name, items, where):
    try:
        names.validate(name, 'configuration name')
    except exception.InvalidInput as err:
        raise where.wrap(err) from err
    options, count = {}, None
    for key, value, at in items:
        if key == 'reserve_count':
            count = _reserve_count(value, at)
            continue
        if key not in adapter.SETTINGS_OPTIONS:
            raise at.error(key, 'name, reserve_count or a [brick_scheduler]'
                           ' option: %s' % ', '.join(sorted(
                               adapter.SETTINGS_OPTIONS)))
        try:
            adapter.make_settings({key: value})
        except exception.BrickException as err:
            raise at.wrap(err) from err
        options[key] = value
    return Configuration(name, options, count)


def parse_data(data: object, where: document.Where) -> list:
    """Configurations from a file's data (a list, or a mapping with
    ``configurations``)."""
    if isinstance(data, dict):
        document.mapping(data, where, ('configurations',))
        where = where.key(data, 'configurations')
        data = data.get('configurations')
    if not isinstance(data, list) or not data:
        raise where.error(data, 'a non-empty list of configurations')
    found = []
    for index, entry in enumerate(data):
        at = where.item(data, index)
        if not isinstance(entry, dict) or 'name' not in entry:
            raise at.error(entry, 'a mapping with a name')
        items = [(key, value, at.key(entry, key))
                 for key, value in entry.items() if key != 'name']
        found.append(_make(entry['name'], items, at.key(entry, 'name')))
    _unique(found, where)
    return found


def load(path: str) -> list:
    """Read the configurations file at *path*."""
    data, where = document.load_yaml(path, 'configurations file')
    return parse_data(data, where)


def parse_option(text: str) -> Configuration:
    """One ``NAME:KEY=VALUE;KEY=VALUE`` from the command line."""
    where = document.Where('--compare %s' % text)
    name, _, rest = text.partition(':')
    items = []
    for item in rest.split(';'):
        if not item.strip():
            continue
        key, sep, value = item.partition('=')
        if not sep:
            raise where.error(item, 'KEY=VALUE')
        key = key.strip()
        items.append((key, value.strip(), document.Where(where.source,
                                                           key)))
    return _make(name.strip(), items, where)


def _unique(configs, where):
    seen = set()
    for config in configs:
        if config.name in seen:
            raise where.error(config.name, 'each configuration name once')
        seen.add(config.name)
