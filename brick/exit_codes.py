# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Exit codes: what a script sees for each family of error.

The ``brick`` command and the Ganeti ExtStorage provider both exit with
these, so a script or Ganeti can tell "no such volume" from "not enough
space" without reading the message.
"""

from oslo_config import cfg

from brick import exception

OK = 0
ERROR = 1
USAGE = 2
NOT_FOUND = 3
CONFLICT = 4
NOT_SUPPORTED = 5
INTERRUPTED = 130

MEANINGS = (
    (OK, 'success; repeating a create or delete that is already '
         'done also succeeds'),
    (ERROR, 'the host or an external command failed (BackendError), '
            'or an unexpected error'),
    (USAGE, 'bad command line, name, size, option or configuration; '
            'nothing was changed'),
    (NOT_FOUND, 'no such volume, snapshot, pool, host, driver or flow'),
    (CONFLICT, 'clashes with what exists: a volume of another size, '
               'a busy volume, not enough space, nothing fits'),
    (NOT_SUPPORTED, "the pool's driver does not support the "
                    "operation (see 'brick driver list')"),
    (INTERRUPTED, 'interrupted (Ctrl-C)'),
)
"""(code, meaning) for ``brick --help`` and the docs."""


def of(err: BaseException) -> int:
    """Return the exit code a script sees for the error *err*.

    NotFound is tested before InvalidInput because DriverNotFound is both,
    and "no such thing" is the more useful answer.

    :param err: any exception.
    :returns: one of the codes above.
    """
    if isinstance(err, exception.NotFound):
        return NOT_FOUND
    if isinstance(err, exception.InvalidInput | cfg.Error):
        return USAGE
    if isinstance(err, exception.Conflict):
        return CONFLICT
    if isinstance(err, exception.NotSupported):
        return NOT_SUPPORTED
    return ERROR
