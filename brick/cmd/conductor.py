# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``brick-conductor``: claim placement jobs from the jobboard and run
them, until SIGTERM or SIGINT.

::

    brick-conductor --config-file /etc/brick/brick.conf

Needs ``[brick_workflow]jobboard_url`` and a shared database
(``[brick_database]connection``); reaches the nodes of the
``[brick_conductor]nodes`` plugin and runs the boot handlers of
``[brick_conductor]boot_handlers``.  Run two or more, on different
machines: when one dies, the others resume its flows.  A compute
service can run the same loop inside its own processes with
:func:`serve`, giving its boot handlers directly.
"""

import signal
import sys
import warnings

from oslo_config import cfg
from oslo_log import log as logging
from stevedore import named

import brick.conf
from brick import exception
from brick import exit_codes

LOG = logging.getLogger(__name__)
HANDLERS = 'brick.boot_handlers'
_EVENTLET_WARNING = r'\s*Eventlet is deprecated'


def load_handlers(conf):
    """``{name: handler}`` of the ``[brick_conductor]boot_handlers``
    entry points (each called with *conf* to make the handler)."""
    wanted = conf.brick_conductor.boot_handlers
    if not wanted:
        return {}
    manager = named.NamedExtensionManager(
        HANDLERS, wanted, invoke_on_load=True, invoke_args=(conf,),
        name_order=True, on_missing_entrypoints_callback=_missing)
    return {ext.name: ext.obj for ext in manager}


def _missing(names):
    raise exception.InvalidValue(
        field='[brick_conductor]boot_handlers', value=sorted(names),
        allowed='names of installed %s entry points' % HANDLERS)


def build(conf, handlers=None, nodes=None):
    """The :class:`~brick.workflow.conductor.Conductor` of *conf*, with
    its :class:`~brick.api.API` (close both when done).

    :param handlers: ``{name: BootHandler or callable}``; default the
        configured plugins.
    :param nodes: the :class:`~brick.node.base.Node` objects; default the
        ``[brick_conductor]nodes`` plugin's.
    """
    from brick import api as api_mod
    from brick.workflow import conductor as conductor_mod
    from brick.workflow import jobs
    from brick.workflow import nodes as nodes_mod

    group = conf.brick_workflow
    if not group.jobboard_url:
        raise exception.InvalidValue(
            field='[brick_workflow]jobboard_url', value=None,
            allowed='the jobboard URL to take placement jobs from')
    service = api_mod.API(conf, nodes=nodes_mod.load(conf) if nodes is None
                          else nodes)
    for name, handler in (load_handlers(conf) if handlers is None
                          else handlers).items():
        service.handlers.register(name, handler)
    board = jobs.connect(group.jobboard_url, 'brick')
    own = conf.brick_conductor
    try:
        found = conductor_mod.Conductor(
            own.name, board, service, workers=own.workers,
            claim_expiry=own.claim_expiry, poll_interval=own.poll_interval,
            result_ttl=group.result_ttl)
    except BaseException:
        board.close()
        service.close()
        raise
    return found


def serve(conf, handlers=None, nodes=None):
    """Run a conductor until SIGTERM or SIGINT; return 0."""
    found = build(conf, handlers, nodes)

    def stop(signum, frame):
        LOG.info('Signal %d: the conductor stops after its running jobs',
                 signum)
        found.stop()
    previous = {sig: signal.signal(sig, stop)
                for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        found.api.report_nodes()
        LOG.info('Conductor %s takes jobs from %s with %d worker(s) and '
                 'nodes %s', conf.brick_conductor.name,
                 conf.brick_workflow.jobboard_url.split('@')[-1],
                 conf.brick_conductor.workers,
                 ', '.join(found.api.nodes.hosts()) or 'none')
        found.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        found.close()
        found.api.close()
    return 0


def main(argv=None):
    """The ``brick-conductor`` console script (oslo.config's command
    line: ``--config-file``, ``--config-dir``, oslo.log's ``--debug``,
    ``--log-file``...)."""
    warnings.filterwarnings('ignore', message=_EVENTLET_WARNING)
    conf = cfg.ConfigOpts()
    brick.conf.register_opts(conf)
    logging.register_options(conf)
    try:
        conf(sys.argv[1:] if argv is None else list(argv), project='brick',
             prog='brick-conductor', version=brick.conf.version(),
             description=__doc__.split('\n')[0])
    except cfg.Error as err:
        sys.stderr.write('brick-conductor: %s\n' % err)
        return exit_codes.USAGE
    logging.setup(conf, 'brick-conductor')
    try:
        return serve(conf)
    except exception.BrickException as err:
        LOG.error('%s', err)
        sys.stderr.write('brick-conductor: %s\n' % err)
        return exit_codes.of(err)


if __name__ == '__main__':
    sys.exit(main())
