# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Weighers: how good a (host, pool) pair is for a volume.

Each weigher is a plugin in the ``brick.scheduler.weighers`` namespace;
the enabled ones come from ``[brick_scheduler]enabled_weighers`` and
their multipliers from ``[brick_scheduler]NAME_weight_multiplier``.  See
:class:`~brick.scheduler.weighers.base.BaseWeigher`.
"""

from collections.abc import Iterable

from brick.scheduler.filters import base as filter_base
from brick.scheduler.weighers import base

NAMESPACE = 'brick.scheduler.weighers'


def load(names: Iterable[str]) -> list[base.BaseWeigher]:
    """Instantiate the weighers *names*, in that order.

    :raises brick.exception.InvalidValue: an unknown name, naming the
        installed weighers.
    """
    return filter_base.load_plugins(NAMESPACE, names, 'weigher')
