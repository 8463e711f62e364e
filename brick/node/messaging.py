# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""oslo.messaging, set up once for brick's own ``ConfigOpts``.

**Options.**  brick never uses the global ``cfg.CONF``, but oslo.messaging
registers two of the option groups it reads later, ``oslo_messaging_
metrics`` and ``oslo_messaging_tracing``, only there (at import); the
first RPC on a transport made from any other ``ConfigOpts`` then fails
with ``NoSuchOptError``.  :func:`register_opts` is brick's one answer: it
registers on the caller's ``ConfigOpts`` every group
:func:`oslo_messaging.opts.list_opts` names (what oslo-config-generator
documents) plus those two, the list ``oslo_messaging.conffixture.
ConfFixture`` registers, so the options are read from brick's
configuration files like any other.  The dispatcher's own
``rpc_ping_enabled`` is read from ``cfg.CONF``, where oslo.messaging
registers it itself; its default (off) is what brick wants.  A test
compares the groups with ``ConfFixture``'s, so an oslo.messaging that adds
one fails the suite, not the first call in production.

**Broker down.**  With the broker unreachable, oslo.messaging retries
forever when an RPC server starts or a call opens its reply queue.
:func:`check_broker` publishes one message that nobody receives, with
``[brick_node]connect_retries`` retries, and raises
:class:`~brick.exception.BrokerUnavailable` naming the URL (password
hidden) instead; services and clients call it before their first use of
a transport.

**Errors.**  Calls are made with ``allowed_remote_exmods=
['brick.exception']``: a brick error raised by a node is raised again on
the caller as the same class, with the same message and keyword
arguments (:func:`clean_error` drops the remote traceback oslo.messaging
appends to its text).
"""

import sys
import threading
import urllib.parse
from typing import Any
from typing import NoReturn

from oslo_config import cfg
from oslo_log import log as logging

from brick import exception

LOG = logging.getLogger(__name__)

EXMODS = [exception.__name__]
"""Modules whose exceptions cross the wire as themselves."""
PROBE_TOPIC = 'brick-probe'
"""Where :func:`check_broker` publishes: a topic no server listens on."""

_EXTRA_GROUPS = (
    ('oslo_messaging._metrics.client', 'oslo_messaging_metrics'),
    ('oslo_messaging._tracing.client', 'oslo_messaging_tracing'),
)
_lock = threading.Lock()


def register_opts(conf: cfg.ConfigOpts) -> None:
    """Register oslo.messaging's options on *conf* (idempotent).

    :param conf: the caller's ``ConfigOpts``.
    """
    import importlib

    import oslo_messaging.opts

    with _lock:
        for group, options in oslo_messaging.opts.list_opts():
            conf.register_opts(options, group=group)
        for module, name in _EXTRA_GROUPS:
            conf.register_opts(getattr(importlib.import_module(module), name),
                               group=name)


def transport_url(conf: cfg.ConfigOpts) -> str | None:
    """The broker URL: ``[brick_node]transport_url``, else
    ``[DEFAULT]transport_url`` if a configuration file or the caller set
    it (its default, ``rabbit://``, does not count); None when neither
    is set (in-process nodes).  Reading the second registers
    oslo.messaging's options."""
    url = conf.brick_node.transport_url
    if url:
        return url
    if 'transport_url' not in conf:
        register_opts(conf)
    location = conf.get_location('transport_url')
    assert location is not None  # registered above
    if location.location == cfg.Locations.opt_default:
        return None
    return conf.transport_url or None


def option_of(conf: cfg.ConfigOpts) -> str:
    """Which option the URL came from, for messages."""
    return '[brick_node]transport_url' if conf.brick_node.transport_url \
        else '[DEFAULT]transport_url'


def masked(url: str | None) -> str:
    """*url* with its password replaced by ``***``."""
    parts = urllib.parse.urlsplit(url or '')
    hosts = []
    for netloc in parts.netloc.split(','):
        user, at, where = netloc.rpartition('@')
        if at and ':' in user:
            user = user.split(':', 1)[0] + ':***'
        hosts.append(user + at + where)
    return urllib.parse.urlunsplit(parts._replace(netloc=','.join(hosts)))


def get_transport(conf: cfg.ConfigOpts, url: str | None = None) -> Any:
    """An RPC transport for *url* (default :func:`transport_url`).

    Building it opens no connection.

    :raises brick.exception.InvalidValue: the URL is malformed or names
        an unknown driver.
    """
    import oslo_messaging

    register_opts(conf)
    url = url or transport_url(conf)
    try:
        return oslo_messaging.get_rpc_transport(
            conf, url, allowed_remote_exmods=EXMODS)
    except (oslo_messaging.InvalidTransportURL,
            oslo_messaging.DriverLoadFailure) as err:
        raise exception.InvalidValue(
            field=option_of(conf), value=masked(url),
            allowed='an oslo.messaging URL such as rabbit://user:pass@'
                    'host:5672/ (%s)' % err) from err


def check_broker(conf: cfg.ConfigOpts, transport: Any,
                 url: str | None = None) -> None:
    """Publish one message nobody receives, to learn whether the broker
    answers, within ``[brick_node]connect_retries`` retries.

    :raises brick.exception.BrokerUnavailable: it does not.
    """
    import oslo_messaging

    client = oslo_messaging.get_rpc_client(
        transport, oslo_messaging.Target(topic=PROBE_TOPIC))
    try:
        client.prepare(retry=conf.brick_node.connect_retries).cast(
            {}, 'probe')
    except Exception as err:
        raise exception.BrokerUnavailable(
            url=masked(url or transport_url(conf)), option=option_of(conf),
            reason='%s (after %d retries)' % (
                err, conf.brick_node.connect_retries)) from err


def stop_server(server: Any) -> None:
    """Stop an oslo.messaging RPC *server* and wait for its calls to
    end (best effort: a failure is logged at debug level)."""
    try:
        server.stop()
        server.wait()
    except Exception as err:
        LOG.debug('Stopping the RPC server: %s', err)


def clean_error(err: BaseException) -> BaseException:
    """A brick error raised again by oslo.messaging carries the remote
    traceback in its text; return a plain one of the same class, message
    and keyword arguments (or *err* itself if it is not such an error)."""
    if not isinstance(err, exception.BrickException):
        return err
    cls = type(err)
    if cls.__name__.endswith('_Remote'):
        cls = cls.__mro__[1]
    clean = cls.__new__(cls)
    clean.kwargs = dict(err.kwargs)
    clean.message = err.message
    Exception.__init__(clean, err.message)
    if isinstance(clean, exception.HostFailed):
        clean.args = (err.message, list(err.args[1]) if len(err.args) > 1
                      else [])
    return clean


def reraise_clean(err: BaseException) -> NoReturn:
    """Raise :func:`clean_error` of *err* from *err*."""
    clean = clean_error(err)
    if clean is err:
        raise err
    LOG.debug('Remote error: %s', err)
    raise clean.with_traceback(sys.exc_info()[2]) from None
