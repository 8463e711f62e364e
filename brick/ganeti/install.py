# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Writing the provider directory Ganeti looks for.

Ganeti searches ``/srv/ganeti/extstorage``,
``/usr/local/lib/ganeti/extstorage``, ``/usr/lib/ganeti/extstorage`` and
``/usr/share/ganeti/extstorage`` for a directory named after the
provider (letters, digits, ``_`` and ``-``; a name with a dot is
ignored).  It holds one executable per action and ``parameters.list``.
Each script here is two lines of ``sh`` that run this Python with
``-m brick.ganeti ACTION`` and the options given at install time; Ganeti
runs scripts with a minimal environment, so everything is spelt out.
"""

import os
import re
import shlex
import sys

from brick import exception
from brick.ganeti import environment

DEFAULT_DIR = '/srv/ganeti/extstorage/brick'
_PROVIDER = re.compile(r'[a-zA-Z0-9_-]+')


def script(action, options, python=None):
    """The text of the script for *action*.

    :param options: argv given before the action (``--config-file``...).
    :param python: the interpreter, default this one.
    """
    argv = [python or sys.executable, '-m', 'brick.ganeti', *options,
            action]
    return ('#!/bin/sh\n'
            '# Ganeti ExtStorage %s, written by "brick ganeti install".\n'
            '# Ganeti gives a minimal PATH; losetup and lvm live in sbin.\n'
            'PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"; export PATH\n'
            'exec %s\n' % (action, ' '.join(shlex.quote(arg)
                                            for arg in argv)))


def parameters_list():
    """The text of ``parameters.list``: ``name description`` lines."""
    return ''.join('%s %s\n' % item
                   for item in sorted(environment.PARAMETERS.items()))


def install(directory, options=(), python=None):
    """Write (or rewrite) the provider directory *directory*.

    :param options: argv for every script before the action, e.g.
        ``['--config-file', '/etc/brick/brick.conf', '--pool', 'fast']``.
    :returns: the paths written, in order.
    :raises brick.exception.InvalidValue: the directory's name is not a
        name Ganeti accepts for a provider.
    """
    directory = os.path.abspath(directory)
    provider = os.path.basename(directory)
    if not _PROVIDER.fullmatch(provider):
        raise exception.InvalidValue(
            field='provider directory name', value=provider,
            allowed='letters, digits, _ and - (Ganeti ignores other names)')
    os.makedirs(directory, mode=0o755, exist_ok=True)
    written = []
    files = [(action, script(action, options, python), 0o755)
             for action in environment.ACTIONS]
    files.append(('parameters.list', parameters_list(), 0o644))
    for name, text, mode in files:
        path = os.path.join(directory, name)
        temp = path + '.brick-new'
        with open(temp, 'w', encoding='utf-8') as out:
            out.write(text)
        os.chmod(temp, mode)
        os.replace(temp, path)
        written.append(path)
    return written
