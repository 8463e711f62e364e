# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The scheduler's settings, read from ``[brick_scheduler]`` once.

Library code takes a :class:`Settings` (or builds one from the caller's
``ConfigOpts`` with :meth:`Settings.from_conf`), never a global config.
"""

import dataclasses
import types
from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any

from oslo_config import cfg

from brick import exception
from brick.conf import scheduler as scheduler_conf

if TYPE_CHECKING:
    from brick.scheduler.weighers import base as weigher_base

# Defaults are the options' own, so Settings() and an empty
# [brick_scheduler] always agree.
_DEFAULTS: dict[str, Any] = {
    opt.dest: opt.default for opt in scheduler_conf.OPTS}
_MULTIPLIER = '_weight_multiplier'

DEFAULT_MULTIPLIERS: Mapping[str, float] = types.MappingProxyType({
    name[:-len(_MULTIPLIER)]: value for name, value in _DEFAULTS.items()
    if name.endswith(_MULTIPLIER)})
_DEFAULT_PRECEDENCE = _DEFAULTS['weigher_precedence']


def _level(name: str, value: Any) -> int:
    # value: whatever the caller or the option gave; int() judges it.
    try:
        return int(value)
    except (TypeError, ValueError) as err:
        raise exception.InvalidValue(
            field='[brick_scheduler]weigher_precedence %s' % name,
            value=value, allowed='a whole number') from err


@dataclasses.dataclass(frozen=True)
class Settings:
    """What the selector needs to know; see :mod:`brick.conf.scheduler`
    for what each field means."""

    enabled_filters: tuple[str, ...] = tuple(_DEFAULTS['enabled_filters'])
    enabled_weighers: tuple[str, ...] = tuple(_DEFAULTS['enabled_weighers'])
    multipliers: Mapping[str, float] = dataclasses.field(
        default_factory=lambda: DEFAULT_MULTIPLIERS)
    """``{weigher name: multiplier}``; a weigher not named gets 1.0."""
    precedence: Mapping[str, int] = dataclasses.field(
        default_factory=lambda: types.MappingProxyType({}))
    """``{weigher name: level}`` over the weighers' own
    :attr:`~brick.scheduler.weighers.base.BaseWeigher.precedence`."""
    host_subset_size: int = _DEFAULTS['host_subset_size']
    max_results: int = _DEFAULTS['max_results']
    max_volumes_per_host: int = _DEFAULTS['max_volumes_per_host']
    refresh_interval: float = _DEFAULTS['refresh_interval']
    seed: int | None = None
    """Seed of the random choice among ``host_subset_size`` best (None:
    from the system); tests set it."""

    def __post_init__(self) -> None:
        merged = dict(DEFAULT_MULTIPLIERS)
        merged.update(self.multipliers)
        object.__setattr__(self, 'multipliers',
                           types.MappingProxyType(merged))
        levels = dict(_DEFAULT_PRECEDENCE)
        levels.update(self.precedence)
        object.__setattr__(self, 'precedence', types.MappingProxyType(
            {name: _level(name, level) for name, level in levels.items()}))
        object.__setattr__(self, 'enabled_filters',
                           tuple(self.enabled_filters))
        object.__setattr__(self, 'enabled_weighers',
                           tuple(self.enabled_weighers))

    def multiplier(self, name: str | None) -> float:
        if name is None:  # a weigher not loaded as a plugin
            return 1.0
        return self.multipliers.get(name, 1.0)

    def level(self, weigher: 'weigher_base.BaseWeigher') -> int:
        """The precedence level of *weigher* (a plugin): the configured
        one, else the weigher's own."""
        if weigher.name is None:  # not loaded as a plugin: no name
            return weigher.precedence
        return self.precedence.get(weigher.name, weigher.precedence)

    @classmethod
    def from_conf(cls, conf: cfg.ConfigOpts, **overrides: Any) -> 'Settings':
        """Read ``[brick_scheduler]`` of *conf* (registering the group if
        the caller has not).

        :param conf: an :class:`oslo_config.cfg.ConfigOpts`.
        :param overrides: fields to set regardless of *conf*.
        """
        scheduler_conf.register_opts(conf)
        group = conf.brick_scheduler
        multipliers = {name: getattr(group, name + _MULTIPLIER)
                       for name in DEFAULT_MULTIPLIERS}
        values = dict(
            enabled_filters=group.enabled_filters,
            enabled_weighers=group.enabled_weighers,
            multipliers=multipliers,
            precedence=group.weigher_precedence,
            host_subset_size=group.host_subset_size,
            max_results=group.max_results,
            max_volumes_per_host=group.max_volumes_per_host,
            refresh_interval=group.refresh_interval)
        values.update(overrides)
        return cls(**values)
