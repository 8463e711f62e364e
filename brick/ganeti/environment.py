# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""What Ganeti tells an ExtStorage script, parsed from its environment.

=====================  ================================================
``VOL_NAME``           always: ``<uuid>.ext.disk<N>``, or ``<...>.snap``
``VOL_SIZE``           create and grow: MiB
``VOL_NEW_SIZE``       grow: MiB
``VOL_METADATA``       setinfo: free text, at most 128 characters
``VOL_SNAPSHOT_NAME``  snapshot: the new volume's name
``VOL_SNAPSHOT_SIZE``  snapshot: MiB
``VOL_OPEN_EXCLUSIVE`` open: ``True``, or ``False`` during migration
``EXTP_<PARAM>``       every disk parameter, upper-cased; always
                       ``EXTP_PROVIDER`` and ``EXTP_ACCESS``
=====================  ================================================
"""

import dataclasses
import re

from brick import exception
from brick import names
from brick import units

ACTIONS = ('create', 'attach', 'detach', 'remove', 'grow', 'setinfo',
           'verify', 'snapshot', 'open', 'close')
"""Every script of the provider; Ganeti requires all but the last
three."""

PARAMETERS = {
    'pool': 'the brick pool of the volumes (default: the pool given to '
            "'brick ganeti install', else the node's default pool)",
}
"""The disk parameters (``gnt-instance add --disk 0:size=10G,provider=
brick,pool=fast``) this provider reads, for ``parameters.list``."""

# Set by Ganeti itself on every disk; not a provider parameter.
GANETI_PARAMETERS = ('provider', 'access', 'name', 'uuid')
_MIB = re.compile(r'\d{1,15}')


def _mib(env, variable):
    raw = env.get(variable)
    if raw is None or not _MIB.fullmatch(raw.strip()) or int(raw) < 1:
        raise exception.InvalidValue(field='environment variable %s'
                                     % variable, value=raw,
                                     allowed='a whole number of MiB above 0')
    return int(raw) * units.Mi


@dataclasses.dataclass(frozen=True)
class Request:
    """One action's input; sizes in bytes."""

    action: str
    name: str
    params: dict
    """``EXTP_*`` lower-cased without the prefix: ``{'pool': 'fast'}``;
    Ganeti's own (provider, access...) are left out."""
    access: str | None = None
    size: int | None = None
    new_size: int | None = None
    metadata: str | None = None
    snapshot_name: str | None = None
    snapshot_size: int | None = None
    exclusive: bool | None = None


def parse(action, env):
    """Build the :class:`Request` of *action* from the environment *env*.

    :param action: one of :data:`ACTIONS`.
    :param env: a mapping such as ``os.environ``.
    :raises brick.exception.InvalidInput: a missing or bad variable,
        named with what is allowed.
    """
    if action not in ACTIONS:
        raise exception.InvalidValue(field='ExtStorage action',
                                     value=action,
                                     allowed=', '.join(ACTIONS))
    name = names.validate(env.get('VOL_NAME', ''),
                          'environment variable VOL_NAME')
    params, access = {}, env.get('EXTP_ACCESS')
    for variable, value in env.items():
        if variable.startswith('EXTP_'):
            key = variable[5:].lower()
            if key not in GANETI_PARAMETERS:
                params[key] = value
    return Request(action=action, name=name, params=params, access=access,
                   **_action_values(action, env))


def _action_values(action, env):
    """The variables only *action* gets, parsed."""
    values = {}
    if action in ('create', 'grow'):
        values['size'] = _mib(env, 'VOL_SIZE')
    if action == 'grow':
        values['new_size'] = _mib(env, 'VOL_NEW_SIZE')
    if action == 'setinfo':
        values['metadata'] = env.get('VOL_METADATA', '')
    if action == 'snapshot':
        values['snapshot_name'] = names.validate(
            env.get('VOL_SNAPSHOT_NAME', ''),
            'environment variable VOL_SNAPSHOT_NAME')
        if env.get('VOL_SNAPSHOT_SIZE'):
            values['snapshot_size'] = _mib(env, 'VOL_SNAPSHOT_SIZE')
    if action == 'open':
        values['exclusive'] = env.get('VOL_OPEN_EXCLUSIVE',
                                      'True') != 'False'
    return values
