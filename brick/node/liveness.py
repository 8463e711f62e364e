# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Which nodes are alive: tooz group membership.

Used as tooz's group membership tutorial shows
(https://docs.openstack.org/tooz/latest/user/tutorial/group_membership.html):
each ``brick-node`` starts a coordinator with its heartbeat thread,
creates the group if needed and joins it (:class:`Membership`); the
backend forgets a member that stopped heartbeating for
``[brick_coordination]heartbeat_timeout`` seconds (a Redis key's expiry,
an etcd lease, a ZooKeeper session).  A member id is ``<host>:<random>``,
new for every process, so a node restarted after a crash joins at once
instead of waiting for its dead predecessor to expire.  A backend that
forgot a paused node (SIGSTOP, a long stall) does not take it back when
it heartbeats again, so the node checks now and then that it is still
a member and joins again if not (:meth:`Membership.check`).

The control side reads the members (:class:`Watcher`) and turns them
into host states with :func:`apply`: a host whose node is not a member
goes ``down`` with the reason (the scheduler's ``state`` filter shows
it); one that is back goes ``up``.  Only changes are written, and only
hosts that have a node (a host-scoped pool, or a node seen before) are
judged; a host an operator put down or disabled is left alone
(:func:`brick.inventory.hosts.set_liveness`).  While the coordination
backend cannot be read, host states are left as they are: an outage of
the backend does not take every host down.
"""

import socket
import urllib.parse
import uuid
from collections.abc import Collection
from typing import TYPE_CHECKING

from oslo_config import cfg
from oslo_log import log as logging

from brick import exception
from brick.db import engine
from brick.inventory import hosts as hosts_mod
from brick.node import messaging

if TYPE_CHECKING:
    from tooz import coordination as tooz_coordination

LOG = logging.getLogger(__name__)

# The URL option each tooz driver reads its membership timeout from.
_TIMEOUT_OPTION = {'redis': 'membership_timeout',
                   'rediss': 'membership_timeout',
                   'etcd3+http': 'membership_timeout',
                   'etcd3+https': 'membership_timeout',
                   'zookeeper': 'timeout', 'kazoo': 'timeout'}


def backend_url(conf: cfg.ConfigOpts) -> str | None:
    """``[brick_coordination]backend_url`` with the heartbeat timeout
    added as the option its driver reads (unless the URL has it), or
    None when unset."""
    group = conf.brick_coordination
    url = group.backend_url
    if not url:
        return None
    parts = urllib.parse.urlsplit(url)
    option = _TIMEOUT_OPTION.get(parts.scheme)
    query = urllib.parse.parse_qs(parts.query)
    if option is not None and option not in query:
        extra = urllib.parse.urlencode({option: group.heartbeat_timeout})
        parts = parts._replace(query='&'.join(filter(None, [parts.query,
                                                            extra])))
    return urllib.parse.urlunsplit(parts)


def _coordinator(url: str, member: str
                 ) -> 'tooz_coordination.CoordinationDriver':
    from tooz import coordination

    try:
        return coordination.get_coordinator(url, member.encode())
    except Exception as err:
        raise exception.InvalidValue(
            field='[brick_coordination]backend_url',
            value=messaging.masked(url),
            allowed='a tooz URL such as redis://HOST:6379, '
                    'zookeeper://HOST:2181 or etcd3+http://HOST:2379 (%s)'
            % err) from err


def _unavailable(url: str, err: object) -> exception.CoordinationUnavailable:
    return exception.CoordinationUnavailable(url=messaging.masked(url),
                                             reason=err)


_PORTS = {'redis': 6379, 'rediss': 6379, 'zookeeper': 2181, 'kazoo': 2181,
          'etcd3+http': 2379, 'etcd3+https': 2379}


def probe(url: str, timeout: float = 5.0) -> None:
    """Open and close a TCP connection to the backend of *url*.

    tooz's Redis driver retries a refused connection 15 times, each
    with redis-py's own retries (about a minute here) before it gives
    up; a service starting with its backend down should say so at once.

    :raises brick.exception.CoordinationUnavailable: no address of the
        URL accepts a connection.
    """
    parts = urllib.parse.urlsplit(url)
    default = _PORTS.get(parts.scheme)
    if default is None:
        return  # a driver without a TCP server (file://, ...)
    errors = []
    for netloc in parts.netloc.rpartition('@')[2].split(','):
        where = urllib.parse.urlsplit('//' + netloc)
        try:
            socket.create_connection((where.hostname or 'localhost',
                                      where.port or default),
                                     timeout=timeout).close()
            return
        except OSError as err:
            errors.append(str(err))
    raise _unavailable(url, '; '.join(errors) or 'no address')


def host_of(member: bytes | str) -> str:
    """The host of member id *member* (bytes or str): ``<host>:...``
    (brick names have no ``:``; ZooKeeper takes a ``/`` for a path)."""
    if isinstance(member, bytes):
        member = member.decode('utf-8', 'replace')
    return member.partition(':')[0]


class Membership:
    """One node's membership of the group (see the module docstring).

    :param url: the coordination URL (:func:`backend_url`).
    :param group: the group's name.
    :param host: this node's host name.
    """

    def __init__(self, url: str, group: str, host: str) -> None:
        self.url = url
        self.group = group.encode()
        self.host = host
        self.member = '%s:%s' % (host, uuid.uuid4().hex[:12])
        self._coordinator: tooz_coordination.CoordinationDriver | None = None

    def start(self) -> None:
        """Connect, start heartbeating and join.

        :raises brick.exception.CoordinationUnavailable: the backend does
            not answer.
        """
        probe(self.url)
        self._coordinator = _coordinator(self.url, self.member)
        try:
            self._coordinator.start(start_heart=True)
            self._join()
        except exception.BrickException:
            raise
        except Exception as err:
            self.stop()
            raise _unavailable(self.url, err) from err
        LOG.info('Joined group %s of %s as %s', self.group.decode(),
                 messaging.masked(self.url), self.member)

    def _join(self):
        from tooz import coordination

        try:
            self._coordinator.create_group(self.group).get()
        except coordination.GroupAlreadyExist:
            pass
        try:
            self._coordinator.join_group(self.group, capabilities={
                'host': self.host}).get()
        except coordination.MemberAlreadyExist:
            pass

    def check(self) -> bool:
        """Join again if the backend forgot this member; returns False
        if it had (or the backend could not be asked).

        Asks for this member only (one key), not for the whole group:
        at 10,000 nodes each reading every member would cost the backend
        10,000 times more.
        """
        from tooz import coordination

        try:
            assert self._coordinator is not None, 'not started'
            self._coordinator.get_member_capabilities(
                self.group, self.member.encode()).get()
            return True
        except (coordination.MemberNotJoined, coordination.GroupNotCreated):
            pass
        except Exception as err:
            LOG.warning('Cannot read group %s: %s', self.group.decode(), err)
            return False
        LOG.warning('Group %s forgot this node (%s); joining again',
                    self.group.decode(), self.member)
        try:
            self._join()
        except Exception as err:
            LOG.warning('Cannot join group %s again: %s',
                        self.group.decode(), err)
        return False

    def stop(self) -> None:
        """Leave the group and stop heartbeating (best effort)."""
        if self._coordinator is None:
            return
        try:
            self._coordinator.leave_group(self.group).get()
        except Exception as err:
            LOG.debug('Leaving group %s: %s', self.group.decode(), err)
        try:
            self._coordinator.stop()
        except Exception as err:
            LOG.debug('Stopping the coordinator: %s', err)
        self._coordinator = None


class Watcher:
    """Reads who is in the group, for the monitor.

    :param url: the coordination URL.
    :param group: the group's name.
    """

    def __init__(self, url: str, group: str) -> None:
        self.url = url
        self.group = group.encode()
        self._coordinator: tooz_coordination.CoordinationDriver | None = None

    def start(self) -> None:
        """:raises brick.exception.CoordinationUnavailable: no answer."""
        probe(self.url)
        self._coordinator = _coordinator(self.url, 'monitor:%s' %
                                         uuid.uuid4().hex[:12])
        try:
            self._coordinator.start(start_heart=False)
        except Exception as err:
            self._coordinator = None
            raise _unavailable(self.url, err) from err

    def alive(self) -> set[str]:
        """The hosts with at least one live member.

        :raises brick.exception.CoordinationUnavailable: the backend
            cannot be read now.
        """
        from tooz import coordination

        try:
            assert self._coordinator is not None, 'not started'
            members = self._coordinator.get_members(self.group).get()
        except coordination.GroupNotCreated:
            return set()
        except Exception as err:
            raise _unavailable(self.url, err) from err
        return {host_of(member) for member in members}

    def stop(self) -> None:
        if self._coordinator is not None:
            try:
                self._coordinator.stop()
            except Exception as err:
                LOG.debug('Stopping the coordinator: %s', err)
            self._coordinator = None


def apply(db: engine.Database, alive: Collection[str], timeout: float,
          stopped: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """Mark hosts down or up from *alive* (see the module docstring).

    :param alive: the hosts whose node is a member now.
    :param timeout: the heartbeat timeout, for the reason.
    :param stopped: ``{host: iso time}`` of nodes that said they were
        shutting down (their reason says so).
    :returns: ``[(host, 'up' or 'down')]``, the changes made.
    """
    stopped = stopped or {}
    changes = []
    for row in hosts_mod.liveness_of(db):
        judged = row.has_pools or row.seen
        is_alive = row.name in alive
        if is_alive and (row.down_by_liveness or not row.seen):
            if hosts_mod.set_liveness(db, row.name, True):
                if row.down_by_liveness:
                    LOG.info('Host %s is back: its node is in the group '
                             'again', row.name)
                    changes.append((row.name, 'up'))
        elif not is_alive and judged and row.up:
            if row.name in stopped:
                reason = 'brick-node stopped at %s' % stopped[row.name]
            elif not row.seen:
                reason = 'brick-node has not joined the group yet'
            else:
                reason = ('no heartbeat from brick-node for more than %d '
                          's (stopped, crashed or cut off)' % timeout)
            if hosts_mod.set_liveness(db, row.name, False, reason):
                LOG.warning('Host %s is down: %s', row.name, reason)
                changes.append((row.name, 'down'))
    return changes
