# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.

"""Aggregates every options module for ``oslo-config-generator``.

Each module in this package that defines ``list_opts()`` contributes its
groups; this is the ``oslo.config.opts`` entry point ``brick``.
"""

import importlib
import pkgutil
import types
from collections.abc import Iterator

from oslo_config import cfg

import brick.conf


def _modules() -> Iterator[types.ModuleType]:
    for info in pkgutil.iter_modules(brick.conf.__path__):
        if info.name == 'opts':
            continue
        module = importlib.import_module('brick.conf.' + info.name)
        if hasattr(module, 'list_opts'):
            yield module


def list_opts() -> list[tuple[cfg.OptGroup, list[cfg.Opt]]]:
    """Return ``[(group, [opts])]`` for every brick option group.

    :returns: a list of (:class:`oslo_config.cfg.OptGroup`, options) pairs.
    """
    result: list[tuple[cfg.OptGroup, list[cfg.Opt]]] = []
    for module in _modules():
        for group, options in module.list_opts().items():
            result.append((group, list(options)))
    return result
