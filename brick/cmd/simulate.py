# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``brick simulate``: what would the scheduler do with this workload?

::

    brick simulate --inventory site.yaml --workload workload.yaml \\
        --compare 'pack:capacity_weight_multiplier=-1' \\
        --drain rack:r2 --html report.html --png-dir figures/
    brick simulate --workload workload.yaml -f json > report.json  # live

The real scheduler (request building, filters, weighers, claims) runs
on an in-memory copy of the inventory; nothing is written anywhere but
the files asked for.  See :mod:`brick.simulate`.  It needs the
``brick[simulate]`` extra (SimPy, matplotlib).
"""

import argparse
import importlib.util
import os

from brick import exception
from brick.cmd import common
from brick.cmd import db as db_command
from brick.cmd import image

FORMATS = ('table', 'json')


def require(package: str, what: str) -> None:
    """Raise :exc:`~brick.exception.MissingDependency` unless *package*
    can be imported."""
    if importlib.util.find_spec(package) is None:
        raise exception.MissingDependency(
            what=what, package=package, install="'brick[simulate]'")


def render_table(columns: list, rows: list) -> str:
    """Plain text columns, left aligned."""
    lines = [list(columns)] + [list(row) for row in rows]
    widths = [max(len(str(line[i])) for line in lines)
              for i in range(len(columns))]
    out = []
    for number, line in enumerate(lines):
        out.append('  '.join(str(cell).ljust(width) for cell, width in zip(
            line, widths, strict=True)).rstrip())
        if number == 0:
            out.append('  '.join('-' * width for width in widths))
    return '\n'.join(out) + '\n'


class Simulate(common.Command):
    """Run a workload through the real scheduler in simulated time and
    report, per scheduler configuration side by side, what was placed,
    refused and why, stranded capacity, utilization and cost."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument('--inventory', metavar='FILE',
                            help='a declarative inventory file (YAML); '
                                 'default: the live inventory database '
                                 '(read only)')
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument('--workload', metavar='FILE',
                            help='kinds of requests (YAML)')
        source.add_argument('--trace', metavar='FILE',
                            help='real requests with their times (CSV)')
        parser.add_argument('--configurations', metavar='FILE',
                            help='scheduler configurations to compare '
                                 '(YAML)')
        parser.add_argument('--compare', metavar='NAME:KEY=VALUE;...',
                            action='append', default=[],
                            help='one more configuration, e.g. '
                                 "'pack:capacity_weight_multiplier=-1;"
                                 "reserve_count=1' (repeat)")
        for action, text in (
                ('drain', 'drain a place mid-run: host:NAME, rack:NAME or '
                          'zone:NAME, optionally @TIME (repeat)'),
                ('fail', 'lose a place without notice, as --drain '
                         '(repeat)'),
                ('add', 'add N hosts like HOST: N:HOST, optionally @TIME '
                        '(repeat)')):
            parser.add_argument('--' + action, metavar='WHAT', default=[],
                                action='append', help=text)
        parser.add_argument('--seed', type=int, default=None,
                            help="random seed (default: the workload's, "
                                 'else 0)')
        parser.add_argument('-f', '--format', choices=FORMATS,
                            default='table',
                            help='table for people (default), json for '
                                 'programs (the whole report)')
        parser.add_argument('-o', '--output', metavar='FILE',
                            help='write the table or JSON here instead of '
                                 'standard output')
        parser.add_argument('--html', metavar='FILE',
                            help='also write a self-contained HTML report')
        parser.add_argument('--png-dir', metavar='DIR',
                            help='also write the figures as PNG files')
        image.add_progress_argument(parser)
        db_command.add_connection_argument(parser)
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> None:
        require('simpy', 'brick simulate')
        if parsed_args.html or parsed_args.png_dir:
            require('matplotlib', 'brick simulate --html/--png-dir')
        from brick import simulate
        from brick.simulate import adapter
        from brick.simulate import configuration

        workload = simulate.workload.load(parsed_args.workload) \
            if parsed_args.workload else simulate.trace.load(
                parsed_args.trace)
        configs = configuration.load(parsed_args.configurations) \
            if parsed_args.configurations else []
        configs += [configuration.parse_option(text)
                    for text in parsed_args.compare]
        if parsed_args.configurations is None and configs:
            configs.insert(0, configuration.Configuration('configured'))
        what_ifs = [simulate.whatif.parse(action, text)
                    for action in ('add', 'drain', 'fail')
                    for text in getattr(parsed_args, action)]
        conf = self.app.conf
        base = configuration.Base(adapter.settings_from_conf(conf),
                                  conf.brick_workflow.reserve_count)
        if parsed_args.inventory:
            site = simulate.site.from_file(parsed_args.inventory)
        else:
            with db_command.inventory(self.app, parsed_args) as db:
                site = simulate.site.from_database(db)
        bar = image.progress_bar(self.app, parsed_args, 'simulating')
        try:
            report = simulate.run(site, workload, configs or None, what_ifs,
                                  parsed_args.seed, base, bar)
        finally:
            if bar is not None:
                bar.close()
        self._write_figures(report, parsed_args)
        text = report.to_json() if parsed_args.format == 'json' else \
            render_table(*report.table())
        if parsed_args.output:
            with open(parsed_args.output, 'w', encoding='utf-8') as stream:
                stream.write(text)
        else:
            self.app.stdout.write(text)

    @staticmethod
    def _write_figures(report, parsed_args):
        if not (parsed_args.html or parsed_args.png_dir):
            return
        from brick.simulate import figures
        from brick.simulate import page

        images = figures.render(report.as_dict())
        if parsed_args.png_dir:
            os.makedirs(parsed_args.png_dir, exist_ok=True)
            for name, data in images.items():
                with open(os.path.join(parsed_args.png_dir, name),
                          'wb') as stream:
                    stream.write(data)
        if parsed_args.html:
            with open(parsed_args.html, 'w', encoding='utf-8') as stream:
                stream.write(page.render(report, images))
