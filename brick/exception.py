# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.

"""Every error brick raises, under one root.

Callers catch :class:`BrickException` for everything, or one family::

    BrickException
    ├── InvalidInput            bad argument, option, name or size
    │   ├── InvalidName
    │   ├── InvalidSize
    │   ├── InvalidValue
    │   ├── MissingDependency   an optional Python package is missing
    │   ├── InvalidJob          a jobboard job that is not a placement
    │   └── DriverNotFound      (also a NotFound)
    ├── NotFound
    │   ├── VolumeNotFound
    │   ├── SnapshotNotFound
    │   ├── PoolNotFound
    │   ├── ReservationNotFound
    │   ├── FlowNotFound
    │   └── HandlerNotFound
    ├── Conflict                the request clashes with existing state
    │   ├── VolumeExists
    │   ├── SnapshotExists
    │   ├── VolumeBusy
    │   ├── InsufficientCapacity    final for this pool: try another
    │   │   └── PoolUnavailable     disabled, or gone
    │   ├── ConcurrentUpdate        retries ran out: try the same again
    │   ├── ReservationExpired
    │   ├── NoValidHost             no candidate; .explanation says why
    │   ├── FlowBusy                its owner is alive: not resumed
    │   └── FlowUnresumable         recorded by another brick version
    ├── NotSupported            the driver declared it cannot do this
    └── BackendError            an external command or the host failed
        ├── CommandFailed
        ├── CommandTimeout
        ├── ToolNotFound
        ├── MalformedOutput
        ├── HostFailed          one host failed a step: try another
        ├── PlacementFailed     every attempt of a placement failed
        ├── NodeUnreachable     a remote node did not answer in time
        │   └── CallExpired     the node refused a call its caller gave up
        ├── BrokerUnavailable   the message broker cannot be reached
        ├── RPCVersionMismatch  a node and its caller speak other versions
        ├── CoordinationUnavailable   tooz's backend cannot be reached
        ├── PlacementPending    a posted placement is not done yet
        └── FlowInterrupted     stopped between steps; resumed later

Each class sets ``msg_fmt``, a %-template filled from the keyword
arguments, so that a message always names what was wrong and what is
allowed.  The keyword arguments stay available as ``exc.kwargs``, as
given; in the message each one is cut by :func:`shown` (a value echoed
back from hostile input, such as a 10 MB string or a YAML alias bomb,
must not make the message itself huge or slow to build).
"""

import reprlib
from typing import Any

__all__ = [
    'BackendError', 'BrickException', 'CommandFailed', 'CommandTimeout',
    'Conflict', 'DriverNotFound', 'InsufficientCapacity', 'InvalidInput',
    'InvalidName', 'InvalidSize', 'InvalidValue', 'MalformedOutput',
    'NotFound', 'NotSupported', 'PoolNotFound', 'SnapshotExists',
    'SnapshotNotFound', 'ToolNotFound', 'VolumeBusy', 'VolumeExists',
    'VolumeNotFound', 'ConcurrentUpdate', 'PoolUnavailable',
    'ReservationExpired', 'ReservationNotFound', 'NoValidHost',
    'HostFailed', 'PlacementFailed', 'FlowNotFound', 'HandlerNotFound',
    'MissingDependency',
    'NodeUnreachable', 'CallExpired', 'BrokerUnavailable',
    'RPCVersionMismatch', 'CoordinationUnavailable',
    'shown',
    'FlowBusy', 'FlowInterrupted', 'FlowUnresumable', 'InvalidJob',
    'PlacementPending',
]

SHOWN_CHARACTERS = 200
"""How much of a value :func:`shown` echoes, in characters: a long
path whole, not a 10 MB string."""

TEXT_CHARACTERS = 1000
"""How much of a ``%s`` text (a reason, a command's stderr) a message
keeps."""



class _Repr(reprlib.Repr):
    """:mod:`reprlib`'s bounded repr, a few items and levels deep."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 2
        self.maxtuple = self.maxlist = self.maxarray = self.maxdict = 4
        self.maxset = self.maxfrozenset = self.maxdeque = 4
        self.maxstring = self.maxother = SHOWN_CHARACTERS
        self.maxlong = 40


_REPR = _Repr()


def shown(value: object, limit: int = SHOWN_CHARACTERS) -> str:
    """*value* as an error message echoes it: its ``repr``, cut to a
    short prefix that says how long the whole is.

    Bounded in time and memory whatever *value* is: a container is
    rendered a few items and levels deep (:mod:`reprlib`), never in
    full, so a list that shares itself a million times over (what a YAML
    alias bomb builds) costs no more than a short one.

    >>> shown('vol-' + 'x' * 100000, limit=8)
    "'vol-xxxx'... (100004 characters)"

    :param value: anything.
    :param limit: characters of the value to keep.
    :returns: a string of about *limit* characters at most (plus the
        length note).
    """
    if isinstance(value, (str, bytes)):
        if len(value) <= limit:
            return repr(value)
        return '%r... (%d %s)' % (value[:limit], len(value), 'characters'
                                  if isinstance(value, str) else 'bytes')
    if isinstance(value, int) and not isinstance(value, bool) and \
            value.bit_length() > 128:
        # repr() of a 5,000-digit int raises ValueError (Python 3.11's
        # int_max_str_digits), and is slow well before that.
        return 'an integer of %d bits' % value.bit_length()
    try:
        text = _REPR.repr(value)
    except Exception:  # a broken __repr__ of the caller's object
        text = '<%s object>' % type(value).__name__
    if len(text) > 2 * limit:
        text = text[:2 * limit] + '...'
    if isinstance(value, (list, tuple, dict, set, frozenset)) and \
            len(value) > _REPR.maxlist:
        text += ' (%d items)' % len(value)
    return text


class _Echo:
    """A keyword argument as a message template renders it: ``%r``
    gives :func:`shown`, ``%s`` the text cut to
    :data:`TEXT_CHARACTERS`."""

    __slots__ = ('value',)

    def __init__(self, value: object) -> None:
        self.value = value

    def __repr__(self) -> str:
        return shown(self.value)

    def __str__(self) -> str:
        value = self.value
        if not isinstance(value, str):
            if isinstance(value, (list, tuple, dict, set, frozenset,
                                  bytes, int)):
                return shown(value)
            value = str(value)
        if len(value) <= TEXT_CHARACTERS:
            return value
        return '%s... (%d characters)' % (value[:TEXT_CHARACTERS],
                                          len(value))


def _echoed(value: object) -> int | float | _Echo:
    # Numbers stay numbers, for %d and %.2f; a huge int is text.
    if isinstance(value, (int, float)) and not isinstance(value, bool) \
            and not (isinstance(value, int) and value.bit_length() > 128):
        return value
    return _Echo(value)


class BrickException(Exception):
    """The root of every brick error."""

    msg_fmt = 'An unknown brick error occurred.'

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        self.kwargs = kwargs
        if message is None:
            echoed = {key: _echoed(value) for key, value in kwargs.items()}
            try:
                message = self.msg_fmt % echoed
            except (KeyError, TypeError, ValueError):
                # A missing keyword is a bug in the raiser; say what we
                # have rather than hide the original error behind it.
                message = '%s (%s)' % (self.msg_fmt, ', '.join(
                    '%s=%r' % item for item in echoed.items()))
        self.message = message
        super().__init__(message)


# Invalid input ------------------------------------------------------------

class InvalidInput(BrickException, ValueError):
    msg_fmt = 'Invalid input: %(reason)s.'


class InvalidName(InvalidInput):
    msg_fmt = ('Invalid %(field)s %(value)r: %(reason)s; allowed: '
               '%(allowed)s.')


class InvalidSize(InvalidInput):
    msg_fmt = ('Invalid %(field)s %(value)r: %(reason)s; allowed: '
               '%(allowed)s.')


class InvalidValue(InvalidInput):
    msg_fmt = 'Invalid %(field)s %(value)r; allowed: %(allowed)s.'


class MissingDependency(InvalidInput):
    msg_fmt = ('%(what)s needs the Python package %(package)s, which is '
               'not installed: pip install %(install)s.')


# Not found ----------------------------------------------------------------

class NotFound(BrickException, LookupError):
    msg_fmt = 'Not found: %(what)s.'


class DriverNotFound(InvalidInput, NotFound):
    msg_fmt = ('Unknown volume driver %(name)r; available drivers: '
               '%(available)s.')


class VolumeNotFound(NotFound):
    msg_fmt = 'Volume %(name)r not found in pool %(pool)s.'


class SnapshotNotFound(NotFound):
    msg_fmt = 'Snapshot %(name)r of volume %(volume)r not found.'


class PoolNotFound(NotFound):
    msg_fmt = 'Pool %(name)r not found: %(reason)s.'


class ReservationNotFound(NotFound):
    msg_fmt = 'Reservation %(id)s not found: %(reason)s.'


# Conflict and capacity -----------------------------------------------------

class Conflict(BrickException):
    msg_fmt = 'Conflict: %(reason)s.'


class VolumeExists(Conflict):
    msg_fmt = ('Volume %(name)r already exists in pool %(pool)s with '
               '%(existing)s; asked for %(requested)s.')


class SnapshotExists(Conflict):
    msg_fmt = 'Snapshot %(name)r of volume %(volume)r already exists.'


class VolumeBusy(Conflict):
    msg_fmt = 'Volume %(name)r is busy: %(reason)s.'


class InsufficientCapacity(Conflict):
    msg_fmt = ('Not enough space in pool %(pool)s for %(requested)d bytes: '
               '%(available)d bytes available.')


class PoolUnavailable(InsufficientCapacity):
    msg_fmt = 'Pool %(pool)s takes no new claims: %(reason)s.'


class ConcurrentUpdate(Conflict):
    msg_fmt = ('%(what)s was changed concurrently and %(attempts)d attempts '
               'failed; the last error: %(reason)s.')


class ReservationExpired(Conflict):
    msg_fmt = ('Reservation %(id)s cannot be committed: it is %(state)s; '
               'claim again.')


class NoValidHost(Conflict):
    msg_fmt = 'No valid host: %(summary)s.'
    # The scheduler's Explanation: per-filter counts, reasons, why(host).
    explanation = property(lambda self: self.kwargs.get('explanation'))


# Not supported ------------------------------------------------------------

class NotSupported(BrickException):
    msg_fmt = ('Driver %(driver)s does not support %(operation)s; its '
               'capabilities are: %(capabilities)s.')


# Backend failures ---------------------------------------------------------

class BackendError(BrickException):
    msg_fmt = 'Backend failure: %(reason)s.'


class CommandFailed(BackendError):
    msg_fmt = ('Command %(cmd)s failed with exit code %(exit_code)s: '
               '%(stderr)s')


class CommandTimeout(BackendError):
    msg_fmt = 'Command %(cmd)s did not finish within %(timeout)s seconds.'


class ToolNotFound(BackendError):
    msg_fmt = ('Program %(tool)r is not installed or not on PATH; it is '
               'needed for %(purpose)s.')


class MalformedOutput(BackendError):
    msg_fmt = 'Could not parse the output of %(tool)s: %(reason)s.'


# Placement workflow (brick.workflow) ---------------------------------------

class HostFailed(BackendError):
    """A step of a placement failed on one host; the workflow tries
    another host.  ``args[1]`` lists the hosts to avoid (``hosts``, or
    just ``host``): taskflow persists a failure's args, so a resumed flow
    still knows them."""

    msg_fmt = 'Host %(host)s failed to %(step)s: %(reason)s'

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        hosts = kwargs.get('hosts') or [kwargs.get('host')]
        self.args = (self.message, list(hosts))

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled with its kwargs and hosts, for remote workers.
        return (type(self), (self.message,),
                {'kwargs': self.kwargs, 'args': self.args})


class PlacementFailed(BackendError):
    msg_fmt = ('Placement of %(what)s failed after %(attempts)d '
               'attempt(s): %(reason)s')


class FlowNotFound(NotFound):
    msg_fmt = 'Placement flow %(id)s not found: %(reason)s.'


class HandlerNotFound(NotFound):
    msg_fmt = ('No boot handler named %(name)r is registered; registered: '
               '%(available)s.')


# Nodes over RPC (brick.node.remote, brick.node.service) -------------------

class NodeUnreachable(BackendError):
    """A remote node did not answer: it is down, stopped or cut off.  The
    outcome of the call is unknown; the workflow takes it as a failed
    host."""

    msg_fmt = ('Node %(host)s did not answer %(call)s within %(timeout)s '
               'seconds: %(reason)s')


class CallExpired(NodeUnreachable):
    """The node got a call after its caller had stopped waiting for the
    answer, and refused to run it."""

    msg_fmt = ('Node %(host)s refused %(call)s: its caller gave up %(late)s '
               'seconds ago (timeout %(timeout)s s)')


class BrokerUnavailable(BackendError):
    msg_fmt = ('Cannot reach the message broker at %(url)s (%(option)s): '
               '%(reason)s')


class RPCVersionMismatch(BackendError):
    msg_fmt = ('%(peer)s cannot take %(call)s at RPC API version '
               '%(version)s: %(reason)s')


class CoordinationUnavailable(BackendError):
    msg_fmt = ('Cannot reach the coordination backend at %(url)s '
               '([brick_coordination]backend_url): %(reason)s')


# Flows that outlive their process (brick.workflow) -------------------------

class FlowBusy(Conflict):
    msg_fmt = ('Placement flow %(id)s is run by %(owner)s, which is alive; '
               'it is not taken from it.')


class FlowInterrupted(BackendError):
    msg_fmt = ('Placement flow %(id)s stopped before its next step: '
               '%(reason)s.  It is resumed from its record.')


class FlowUnresumable(Conflict):
    msg_fmt = 'Placement flow %(id)s cannot be resumed: %(reason)s.'


class InvalidJob(InvalidInput):
    msg_fmt = ('Job %(job)s of the jobboard is not a brick placement: '
               '%(field)s is %(value)r; allowed: %(allowed)s.')


class PlacementPending(BackendError):
    msg_fmt = ('Placement flow %(id)s did not finish within %(timeout)s '
               'seconds; it goes on: ask for it again with '
               'API.result(%(id)r).')
