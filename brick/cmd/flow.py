# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``brick flow resume``: finish placement flows a dead process left.

A placement flow (place, reserve, create, boot, commit) is recorded as it
runs (``[brick_workflow]persist``).  If its process dies, the flow stays
unfinished, holding reservations and perhaps volumes.  This command
resumes it on this host's node (``[brick_node]``): a volume flow
finishes; a boot flow needs the compute service's boot handler, which a
command line does not have, so it rolls back (its volumes are deleted,
its space released) and is reported with exit code 3.  Compute services
resume their own boot flows with :meth:`brick.api.API.resume`.

Only flows whose owner is gone are taken (see
:mod:`brick.workflow.ownership`): a flow run by a live process, on any
host, is left alone (``skipped``).  With a jobboard
(``[brick_workflow]jobboard_url``), conductors resume flows by
themselves and nobody needs this command.
"""

from brick.cmd import common
from brick.cmd import db as db_command

COLUMNS = ('flow_id', 'outcome', 'consumer', 'host', 'volumes', 'error')


class ResumeFlows(common.Lister):
    """Resume one flow, or every unfinished flow whose process is gone.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('flow_id', metavar='FLOW_ID', nargs='?',
                            help='the flow (default: every unfinished '
                                 'flow)')
        db_command.add_connection_argument(parser)
        return parser

    def take_action(self, parsed_args):
        # Checks (or, for the embedded SQLite file, creates) the schema
        # and applies --connection to the configuration.
        with db_command.inventory(self.app, parsed_args):
            pass
        # Imported here: the workflow imports taskflow, which no other
        # command needs.
        from brick import api
        from brick import exception
        results = api.resume(self.app.conf, flow_id=parsed_args.flow_id)
        rows = []
        for done in results:
            outcome = done.outcome
            if done.placed:
                rows.append((done.flow_id, 'committed', done.consumer,
                             outcome.host, common.Items(
                                 [vol.name for vol in outcome.volumes]),
                             None))
                continue
            self.defer(outcome)
            state = 'skipped' if isinstance(
                outcome, exception.FlowBusy) else 'failed' if isinstance(
                    outcome, exception.FlowUnresumable | exception.
                    FlowInterrupted) else 'rolled back'
            rows.append((done.flow_id, state, done.consumer, None,
                         common.Items([]), str(outcome)))
        return COLUMNS, rows
