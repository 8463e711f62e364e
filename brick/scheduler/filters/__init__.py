# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Filters: which (host, pool) pairs may take a volume.

Each filter is a plugin in the ``brick.scheduler.filters`` namespace; the
enabled ones and their order come from ``[brick_scheduler]
enabled_filters``.  See :class:`~brick.scheduler.filters.base.BaseFilter`.
"""

from collections.abc import Iterable

from brick.scheduler.filters import base

NAMESPACE = 'brick.scheduler.filters'


def load(names: Iterable[str]) -> list[base.BaseFilter]:
    """Instantiate the filters *names*, in that order.

    :raises brick.exception.InvalidValue: an unknown name, naming the
        installed filters.
    """
    return base.load_plugins(NAMESPACE, names, 'filter')
