# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""What the privileged side accepts: the command lines brick builds, and
nothing else.

Each function checks a whole argv against the shape that
:mod:`brick.local.lvm`, :mod:`brick.local.loop` or
:mod:`brick.local.qemu_img` produces for one operation and returns it,
or raises :class:`brick.exception.InvalidValue` naming the argument.
They run inside the privsep daemon (:mod:`brick.privileged.operations`)
and are plain functions, so they are tested directly too.  An argument
is either an option the operation uses, with a value of the form it
uses, or a positional of the form it uses (a brick name, ``VG/LV``, a
size in bytes, a path of the right kind); everything else is refused.
"""

import os
import re
import stat
import typing

from brick import exception
from brick.local import image_check

ENVIRONMENT = {'LC_ALL': ('C',), 'LVM_SUPPRESS_FD_WARNINGS': ('1',),
               'DM_DISABLE_UDEV': ('1',)}
"""Variables a caller may set for a root command, and their values.
(``LVM_SYSTEM_DIR`` is not one: its lvm.conf could name programs for lvm2
to run.)"""

LVM_SETTINGS = frozenset({
    ('global', 'activation'), ('backup', 'backup'), ('backup', 'archive'),
    ('devices', 'filter'), ('devices', 'global_filter'),
    ('devices', 'use_devicesfile'), ('devices', 'ignore_suspended_devices'),
    ('activation', 'retry_deactivation'), ('activation', 'udev_sync'),
    ('activation', 'udev_rules'), ('activation', 'monitoring')})
"""``section/setting`` pairs an lvm2 ``--config`` may set: the device
filter, activation and backup switches.  Not, for example,
``global/thin_check_executable`` or ``backup/backup_dir``."""

IMAGE_FORMATS = image_check.DECLARED
"""Formats a copied image may be in: those brick imports."""
IMAGE_OPTIONS = ('preallocation', 'cluster_size', 'static', 'compat')

_SIZE = re.compile(r'\d{1,20}b')
_FIELDS = re.compile(r'[a-z_]{1,40}(,[a-z_]{1,40}){0,40}')
# An lvm2 selection: fields, quoted brick names, operators, regular
# expressions and tag lists (lvm2 evaluates it; nothing executes it).
_SELECT = re.compile(r'[A-Za-z0-9_.+\-"=!~&|$^ {}\[\]\\,()*?]{1,400}')
_LOOP = re.compile(r'/dev/loop\d{1,6}')
_DEVICE = re.compile(r'/dev/[A-Za-z0-9_.+\-/]{1,200}')
_COLUMNS = re.compile(r'[A-Z:-]{1,20}(,[A-Z:-]{1,20}){0,10}')
_OPTION_VALUE = re.compile(r'[A-Za-z0-9_.]{1,40}')
_CONFIG_TOKEN = re.compile(r'''\s*(?:(?P<open>\{)|(?P<close>\})|(?P<eq>=)|
    (?P<word>[a-z_]{1,64})|(?P<number>-?\d{1,10})|
    (?P<string>"[^"\\\n]{0,256}")|
    (?P<list>\[\s*(?:"[^"\\\n]{0,256}"\s*,?\s*){0,64}\]))''', re.X)


def _refuse(what, value, allowed):
    return exception.InvalidValue(field='%s (brick.privileged)' % what,
                                  value=value, allowed=allowed)


def environment(env: dict[str, str] | None) -> dict[str, str]:
    """*env* if it holds only :data:`ENVIRONMENT`'s variables and values,
    and perhaps ``LVM_SYSTEM_DIR`` naming a configuration only root can
    have written (:func:`root_only_directory`)."""
    for key, value in (env or {}).items():
        if key == 'LVM_SYSTEM_DIR':
            root_only_directory(value)
        elif value not in ENVIRONMENT.get(key, ()):
            raise _refuse('environment variable %s' % key, value,
                          ', '.join('%s=%s' % (k, '|'.join(v))
                                    for k, v in ENVIRONMENT.items()))
    return dict(env or {})


def root_only_directory(path: str) -> str:
    """*path* if it is a directory that only root can have filled: owned
    by root and not writable by group or others, and so is any
    ``lvm.conf`` in it.  (An lvm.conf of the caller's could name programs
    for lvm2 to run as root.)"""
    try:
        checks = [os.lstat(path)] if isinstance(path, str) and \
            os.path.isabs(path) else []
        if checks and os.path.lexists(os.path.join(path, 'lvm.conf')):
            checks.append(os.lstat(os.path.join(path, 'lvm.conf')))
    except OSError:
        checks = []
    if not checks or not stat.S_ISDIR(checks[0].st_mode) or any(
            info.st_uid != 0 or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
            for info in checks):
        raise _refuse('LVM_SYSTEM_DIR', path, 'a directory, and lvm.conf '
                      'in it, owned by root and writable by root only')
    return path


# -- lvm2 -------------------------------------------------------------------

def lvm_config(text: str) -> str:
    """*text* if it is lvm2 ``--config`` text setting only
    :data:`LVM_SETTINGS` (``section { setting = value ... } ...``)."""
    allowed = 'section { setting = value } blocks setting only %s' % (
        ', '.join(sorted('%s/%s' % pair for pair in LVM_SETTINGS)))
    position, section, expect = 0, None, 'section'
    text = text if isinstance(text, str) else None
    while text is not None and position < len(text.rstrip()):
        match = _CONFIG_TOKEN.match(text, position)
        if match is None:
            break
        position = match.end()
        kind = match.lastgroup
        if expect == 'section' and kind == 'word':
            section, expect = match.group('word'), 'open'
        elif expect == 'open' and kind == 'open':
            expect = 'setting'
        elif expect == 'setting' and kind == 'close':
            expect = 'section'
        elif expect == 'setting' and kind == 'word':
            if (section, match.group('word')) not in LVM_SETTINGS:
                raise _refuse('lvm2 setting', '%s/%s' % (
                    section, match.group('word')), allowed)
            expect = 'eq'
        elif expect == 'eq' and kind == 'eq':
            expect = 'value'
        elif expect == 'value' and kind in ('number', 'string', 'list'):
            expect = 'setting'
        else:
            break
    else:
        if text is not None and expect == 'section':
            return text
    raise _refuse('lvm2 --config', text, allowed)


_LVM_NAME = re.compile(r'[A-Za-z0-9+_.][A-Za-z0-9+_.-]{0,126}')


def _lvm_name(value):
    """A VG or LV name as lvm2 takes it (brick's internal snapshot LVs
    have ``..`` in theirs), never a path."""
    if not isinstance(value, str) or not _LVM_NAME.fullmatch(value) or \
            value in ('.', '..'):
        raise _refuse('LVM name', value, 'A-Z a-z 0-9 + _ . -, not '
                      'starting with -, not . or ..')
    return value


_vg = _lvm_name


def _vg_or_lv(value):
    if not isinstance(value, str):
        raise _refuse('LVM target', value, 'VG or VG/LV')
    vg, slash, lv = value.partition('/')
    _vg(vg)
    if slash:
        _lvm_name(lv)
    return value


def _lv(value):
    if not isinstance(value, str) or '/' not in value:
        raise _refuse('LVM target', value, 'VG/LV')
    return _vg_or_lv(value)


def _matching(pattern, what, allowed):
    def check(value):
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise _refuse(what, value, allowed)
        return value
    return check


def _one_of(*choices):
    def check(value):
        if value not in choices:
            raise _refuse('option value', value, ', '.join(choices))
        return value
    return check


FLAG = None
_YES_NO = _one_of('y', 'n')
_SIZE_ARG = _matching(_SIZE, 'size', 'a number of bytes such as 1048576b')
_NAME_ARG = _lvm_name
_SELECT_ARG = _matching(_SELECT, 'LVM selection',
                        'field comparisons of brick names')
_REPORT = {'--reportformat': _one_of('json'), '--units': _one_of('b'),
           '--nosuffix': FLAG,
           '-o': _matching(_FIELDS, 'report fields', 'field,field...')}

LVM_COMMANDS = {
    # subcommand: (options, positional check, how many positionals)
    'vgs': (_REPORT, _vg, (1, 1)),
    'lvs': (_REPORT, _vg_or_lv, (1, 64)),
    'lvcreate': ({'--yes': FLAG, '--zero': _YES_NO,
                  '--wipesignatures': _YES_NO, '--addtag': _NAME_ARG,
                  '--name': _NAME_ARG, '--size': _SIZE_ARG,
                  '--virtualsize': _SIZE_ARG, '--thinpool': _NAME_ARG,
                  '--type': _one_of('thin-pool', 'thin'),
                  '--snapshot': FLAG, '--setactivationskip': _YES_NO},
                 _vg_or_lv, (1, 1)),
    'lvextend': ({'--size': _SIZE_ARG}, _lv, (1, 1)),
    'lvremove': ({'--yes': FLAG, '--select': _SELECT_ARG}, _vg_or_lv,
                 (1, 1)),
    'lvrename': ({}, _NAME_ARG, (3, 3)),
    'lvchange': ({'--activate': _YES_NO, '--ignoreactivationskip': FLAG,
                  '--select': _SELECT_ARG}, _vg_or_lv, (1, 1)),
    'lvconvert': ({'--merge': FLAG}, _lv, (1, 1)),
}
"""The lvm2 subcommands brick runs, with their options and operands."""

_LVM_COMMON = {'--config': lvm_config,
               '--devices': _matching(_DEVICE, 'device', '/dev/...')}


def lvm(argv: typing.Sequence[str],
        subcommands: typing.Sequence[str]) -> tuple[str, ...]:
    """*argv* if it is ``lvm SUBCOMMAND ...`` with one of *subcommands*,
    as :class:`brick.local.lvm.LVM` builds it.

    :raises brick.exception.InvalidValue: naming the first argument that
        is not.
    """
    argv = tuple(argv)
    if len(argv) < 2 or argv[0] != 'lvm' or argv[1] not in subcommands:
        raise _refuse('command', ' '.join(map(str, argv[:2])),
                      ', '.join('lvm %s' % sub for sub in subcommands))
    options, positional, (least, most) = LVM_COMMANDS[argv[1]]
    options = dict(_LVM_COMMON, **options)
    operands = _options(argv[2:], options)
    if not least <= len(operands) <= most:
        raise _refuse('operands of lvm %s' % argv[1], operands,
                      '%d to %d' % (least, most))
    for operand in operands:
        positional(operand)
    return argv


def _options(args, options):
    """Check ``--option [value]`` pairs; return the operands after them."""
    index = 0
    while index < len(args) and args[index].startswith('-'):
        option = args[index]
        if option not in options:
            raise _refuse('option', option, ', '.join(sorted(options)))
        check = options[option]
        if check is FLAG:
            index += 1
            continue
        if index + 1 >= len(args):
            raise _refuse('option', option, 'followed by its value')
        check(args[index + 1])
        index += 2
    return list(args[index:])


# -- loop devices -------------------------------------------------------------

def caller_uid() -> int:
    """The uid of the unprivileged process the daemon serves: sudo's
    ``SUDO_UID`` (``privsep-helper`` run through sudo or rootwrap), else
    the owner of the daemon's parent (the forking client)."""
    sudo = os.environ.get('SUDO_UID', '')
    if sudo.isdigit():
        return int(sudo)
    return os.stat('/proc/%d' % os.getppid()).st_uid


def readable_file(path: str, uid: int | None = None) -> str:
    """*path* if it is an absolute path to a regular file (not a
    symbolic link) that the caller could read itself: its own, or
    readable by everyone; root may read any."""
    uid = caller_uid() if uid is None else uid
    try:
        info = os.lstat(path) if isinstance(path, str) and \
            os.path.isabs(path) else None
    except OSError:
        info = None
    if info is None or not stat.S_ISREG(info.st_mode):
        raise _refuse('file', path, 'an absolute path to a regular file, '
                      'not a symbolic link')
    if uid != 0 and info.st_uid != uid and not info.st_mode & stat.S_IROTH:
        raise _refuse('file', path, 'a file the caller (uid %d) may read: '
                      'its own, or readable by everyone' % uid)
    return path


_LOSETUP_FORMS = {
    '--list': ('--json', '--output', _matching(_COLUMNS, 'columns',
                                               'NAME,BACK-FILE...')),
    '--find': ('--show', '--', readable_file),
    '--detach': (_matching(_LOOP, 'loop device', '/dev/loopN'),),
    '--set-capacity': (_matching(_LOOP, 'loop device', '/dev/loopN'),),
}


def losetup(argv: typing.Sequence[str],
            program: str = 'losetup') -> tuple[str, ...]:
    """*argv* if it is one of the ``losetup`` forms of
    :class:`brick.local.loop.LoopDevices`."""
    argv = tuple(argv)
    form = _LOSETUP_FORMS.get(argv[1]) if len(argv) > 1 and \
        argv[0] == program else None
    if form is None or len(argv) != 2 + len(form):
        raise _refuse('command', ' '.join(map(str, argv[:3])), 'losetup '
                      + ', '.join(sorted(_LOSETUP_FORMS)))
    for expected, given in zip(form, argv[2:], strict=True):
        if isinstance(expected, str):
            if given != expected:
                raise _refuse('losetup argument', given, expected)
        else:
            expected(given)
    return argv


# -- qemu-img convert to or from a logical volume --------------------------

def logical_volume(path: str) -> str:
    """*path* if it is ``/dev/VG/LV`` (brick names)."""
    parts = path.split('/') if isinstance(path, str) else []
    if len(parts) != 4 or parts[:2] != ['', 'dev']:
        raise _refuse('logical volume', path, '/dev/VG/LV')
    _lv('%s/%s' % (parts[2], parts[3]))
    return path


def new_file(path: str, uid: int | None = None) -> str:
    """*path* if nothing is there yet and its directory is the caller's
    own (root may write anywhere)."""
    uid = caller_uid() if uid is None else uid
    if not isinstance(path, str) or not os.path.isabs(path) or \
            os.path.lexists(path):
        raise _refuse('target', path, 'an absolute path where nothing is')
    parent = os.lstat(os.path.dirname(path))
    if uid != 0 and (parent.st_uid != uid or not stat.S_ISDIR(
            parent.st_mode)):
        raise _refuse('target', path, 'a new file in a directory of the '
                      'caller (uid %d)' % uid)
    return path


def qemu_img_convert(argv: typing.Sequence[str],
                     program: str = 'qemu-img') -> tuple[str, ...]:
    """*argv* if it is ``qemu-img convert`` as
    :meth:`brick.local.qemu_img.QemuImg.convert` builds it, between a
    logical volume and a volume, an image the caller may read (inspected
    again here: no backing or data file), or a new file of the
    caller's."""
    argv = tuple(argv)
    if argv[:2] != (program, 'convert') or len(argv) < 8:
        raise _refuse('command', ' '.join(map(str, argv[:2])),
                      '%s convert' % program)
    formats = _one_of(*IMAGE_FORMATS)
    if argv[2] != '-f' or argv[4] != '-O':
        raise _refuse('qemu-img convert arguments', argv[2:5],
                      '-f FORMAT -O FORMAT')
    source_format = formats(argv[3])
    formats(argv[5])
    operands = _options(argv[6:], {
        '-n': FLAG, '--target-is-zero': FLAG, '-p': FLAG,
        '-o': _image_options})
    if len(operands) != 2:
        raise _refuse('qemu-img convert operands', operands,
                      'SOURCE TARGET')
    source, target = operands
    if not _is_lv(source):
        logical_volume(target)          # one end is a volume
        readable_file(source)
        image_check.inspect(source, source_format)
    if not _is_lv(target):
        if '-n' in argv:
            raise _refuse('target', target, 'a logical volume, or a new '
                          'file of the caller')
        new_file(target)
    return argv


def _is_lv(path):
    try:
        logical_volume(path)
    except exception.InvalidValue:
        return False
    return True


def _image_options(value):
    for pair in value.split(',') if isinstance(value, str) else [None]:
        key, _, setting = (pair or '').partition('=')
        if key not in IMAGE_OPTIONS or not _OPTION_VALUE.fullmatch(setting):
            raise _refuse('qemu-img option', pair, 'KEY=VALUE with KEY one '
                          'of %s' % ', '.join(IMAGE_OPTIONS))
    return value
