# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Draw the worked example of ``admin/simulate.rst`` at build time.

The example's inputs are ``admin/simulate/*.yaml``; this runs what the
page's command runs (:data:`ARGV`) and writes its table and figures to
``admin/simulate/generated/`` before Sphinx reads the page, so the
pictures in the built docs are always the current code's.  The same
seed gives the same bytes (``tests/docs/test_simulate_example.py``).
"""

import os

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.normpath(os.path.join(HERE, '..', 'admin', 'simulate'))
GENERATED = os.path.join(EXAMPLE, 'generated')
ARGV = ['simulate', '--inventory', 'site.yaml', '--workload',
        'workload.yaml', '--configurations', 'configurations.yaml',
        '--drain', 'zone:zone-a@10d', '--seed', '1', '--html',
        'report.html', '--png-dir', 'figures']
"""The command line the page shows (run in ``admin/simulate``)."""


def render():
    """``{file name: bytes}``: the table, the stuck consumers and every
    figure of the example."""
    from brick import simulate
    from brick.cmd import simulate as simulate_command
    from brick.simulate import configuration
    from brick.simulate import figures
    from brick.simulate import whatif

    def path(name):
        return os.path.join(EXAMPLE, name)
    report = simulate.run(
        simulate.site.from_file(path('site.yaml')),
        simulate.workload.load(path('workload.yaml')),
        configuration.load(path('configurations.yaml')),
        [whatif.parse('drain', 'zone:zone-a@10d')], seed=1)
    found = figures.render(report.as_dict())
    found['table.txt'] = simulate_command.render_table(
        *report.table()).encode()
    stuck = report.as_dict()['configurations'][0]['what_ifs'][0]['failed']
    lines = ['%-16s %-9s %-20s %-10s %s' % (
        'consumer', 'kind', 'volume in pool', 'blocked by', 'reason')]
    for entry in stuck[:6]:
        volume = entry['volumes'][0]
        lines.append('%-16s %-9s %-20s %-10s %s' % (
            entry['consumer'], entry['kind'], volume['pool'],
            entry['blocked_by'], entry['reason']))
    lines.append('... %d in all' % len(stuck))
    found['stuck.txt'] = ('\n'.join(lines) + '\n').encode()
    return found


def write(target=GENERATED):
    """Write :func:`render`'s files into *target*, leaving unchanged
    ones alone (so Sphinx does not rebuild for nothing)."""
    os.makedirs(target, exist_ok=True)
    for name, data in render().items():
        path = os.path.join(target, name)
        if os.path.exists(path):
            with open(path, 'rb') as stream:
                if stream.read() == data:
                    continue
        with open(path, 'wb') as stream:
            stream.write(data)


def setup(app):
    app.connect('builder-inited', lambda _app: write())
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
