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
        ├── PlacementPending    a posted placement is not done yet
        └── FlowInterrupted     stopped between steps; resumed later

Each class sets ``msg_fmt``, a %-template filled from the keyword
arguments, so that a message always names what was wrong and what is
allowed.  The keyword arguments stay available as ``exc.kwargs``.
"""

__all__ = [
    'BackendError', 'BrickException', 'CommandFailed', 'CommandTimeout',
    'Conflict', 'DriverNotFound', 'InsufficientCapacity', 'InvalidInput',
    'InvalidName', 'InvalidSize', 'InvalidValue', 'MalformedOutput',
    'NotFound', 'NotSupported', 'PoolNotFound', 'SnapshotExists',
    'SnapshotNotFound', 'ToolNotFound', 'VolumeBusy', 'VolumeExists',
    'VolumeNotFound', 'ConcurrentUpdate', 'PoolUnavailable',
    'ReservationExpired', 'ReservationNotFound', 'NoValidHost',
    'HostFailed', 'PlacementFailed', 'FlowNotFound', 'HandlerNotFound',
    'FlowBusy', 'FlowInterrupted', 'FlowUnresumable', 'InvalidJob',
    'PlacementPending',
]


class BrickException(Exception):
    """The root of every brick error."""

    msg_fmt = 'An unknown brick error occurred.'

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        if message is None:
            try:
                message = self.msg_fmt % kwargs
            except (KeyError, TypeError, ValueError):
                # A missing keyword is a bug in the raiser; say what we
                # have rather than hide the original error behind it.
                message = '%s (%r)' % (self.msg_fmt, kwargs)
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

    def __init__(self, message=None, **kwargs):
        super().__init__(message, **kwargs)
        hosts = kwargs.get('hosts') or [kwargs.get('host')]
        self.args = (self.message, list(hosts))

    def __str__(self):
        return self.message

    def __reduce__(self):
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
