# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The one pattern every volume, snapshot and pool name must match.

Names end up on lvm2 and qemu-img command lines and in file paths, so they
are checked here, before anything else sees them.  The pattern is the
intersection of what LVM, file systems and os-brick accept, so that a name
valid for one driver is valid for all of them.
"""

import re

from brick import exception

MAX_LENGTH = 63

ALLOWED = ('1 to %d characters from A-Z a-z 0-9 and . _ + -, starting with a '
           'letter or digit, without "..", not starting with "snapshot" or '
           '"pvmove" and without LVM\'s reserved suffixes (_tdata, _tmeta, '
           '_cdata, _cmeta, _corig, _mlog, _mimage, _rimage, _rmeta, '
           '_vorigin, _pmspare)' % MAX_LENGTH)

_PATTERN = re.compile(r'[A-Za-z0-9][A-Za-z0-9._+-]{0,%d}' % (MAX_LENGTH - 1))

# lvcreate(8): names LVM uses for its own sub-volumes.
_RESERVED_PREFIXES = ('snapshot', 'pvmove')
_RESERVED_PARTS = ('_cdata', '_cmeta', '_corig', '_mlog', '_mimage',
                   '_pmspare', '_rimage', '_rmeta', '_tdata', '_tmeta',
                   '_vorigin')


def validate(value: object, field: str = 'name') -> str:
    """Return *value* if it is a valid brick name, else raise.

    :param value: the name to check.
    :param field: what the name is for, used in the error message.
    :returns: *value*, unchanged.
    :raises brick.exception.InvalidName: naming the field, the value and
        what is allowed.
    """
    if not isinstance(value, str):
        raise exception.InvalidName(field=field, value=value,
                                    reason='not a string', allowed=ALLOWED)
    if not _PATTERN.fullmatch(value):
        if not value:
            reason = 'empty'
        elif len(value) > MAX_LENGTH:
            reason = 'longer than %d characters' % MAX_LENGTH
        else:
            reason = 'bad character or first character'
        raise exception.InvalidName(field=field, value=value, reason=reason,
                                    allowed=ALLOWED)
    if '..' in value:
        raise exception.InvalidName(field=field, value=value,
                                    reason='contains ".."', allowed=ALLOWED)
    lowered = value.lower()
    if lowered.startswith(_RESERVED_PREFIXES) or any(
            part in lowered for part in _RESERVED_PARTS):
        raise exception.InvalidName(field=field, value=value,
                                    reason='reserved by LVM', allowed=ALLOWED)
    return value
