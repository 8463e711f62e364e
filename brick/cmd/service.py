# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.

"""The long-running services: ``brick node serve`` (also the
``brick-node`` command) and ``brick node monitor`` (also
``brick-node-monitor``).

Both run in the foreground until SIGTERM or SIGINT, log to stderr (or
``--log-file``), and stop cleanly: a node tells the monitors and leaves
its tooz group, so its host is marked down at once.  A service that
cannot reach the broker or the coordination backend when it starts
exits 1 with a message naming the URL; it never hangs.
"""

import argparse
import signal
import sys
import threading
from typing import Any

from brick.cmd import cli
from brick.cmd import common
from brick.cmd import db as db_command


def _run_until_signalled(service: Any) -> None:
    stop = threading.Event()
    previous = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous[signum] = signal.signal(signum,
                                         lambda *_args: stop.set())
    try:
        service.start()
        while not stop.wait(1.0):
            pass
    finally:
        service.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class ServeNode(common.Command):
    """Serve this host's pools to the control hosts over RPC (brick-node).

    Listens on topic brick-node, server [brick_node]host, at the broker
    [brick_node]transport_url; sends its capacity reports to the
    monitors; heartbeats in [brick_coordination]backend_url if set.  Needs
    no database access.
    """

    def take_action(self, parsed_args: argparse.Namespace) -> None:
        from brick.node import service

        _run_until_signalled(service.NodeService(self.app.conf,
                                                 self.app.node))


class RunMonitor(common.Command):
    """Write the nodes' reports into the inventory, reconcile them, and
    mark hosts up or down from their heartbeats.

    Listens on topic brick-monitor at [brick_node]transport_url; reads
    the tooz group of [brick_coordination]backend_url if set.  Run one or
    more per site, on hosts with database access.
    """

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        db_command.add_connection_argument(parser)
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> None:
        from brick.node import monitor

        db = db_command.database(self.app, parsed_args)
        try:
            _run_until_signalled(monitor.Monitor(self.app.conf, db))
        finally:
            db.dispose()


def node_main(argv: list[str] | None = None) -> int:
    """``brick-node [--config-file PATH]...``: ``brick node serve``."""
    return cli.main(list(sys.argv[1:] if argv is None else argv)
                    + ['node', 'serve'])


def monitor_main(argv: list[str] | None = None) -> int:
    """``brick-node-monitor [--config-file PATH]...``: ``brick node
    monitor``."""
    return cli.main(list(sys.argv[1:] if argv is None else argv)
                    + ['node', 'monitor'])
