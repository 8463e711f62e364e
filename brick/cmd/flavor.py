# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``brick flavor validate``: check ``brick:`` extra specs before an
operator saves them on a flavor.

::

    $ brick flavor validate brick:local_gb=20 brick:thin=yes hw:cpu=2
    key             value  field
    brick:local_gb  20     size
    brick:thin      true   thin
    hw:cpu          2      (ignored: not brick:)

Every bad key or value is reported on stderr (naming the key, the value
and what is allowed) and the command exits 2; nothing is printed on
stdout then.  Keys outside ``brick:`` are ignored, as the scheduler
ignores them.
"""

from brick import exception
from brick.cmd import common
from brick.scheduler import extra_specs
from brick.scheduler import request

COLUMNS = ('key', 'value', 'field')
IGNORED = '(ignored: not brick:)'


class Validate(common.Lister):
    """Validate flavor extra specs; print them normalised."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('specs', metavar='KEY=VALUE', nargs='+',
                            help='extra specs, e.g. brick:local_gb=20')
        return parser

    def take_action(self, parsed_args):
        registry = extra_specs.EXTRA_SPECS
        specs = common.parse_pairs(parsed_args.specs, 'extra spec')
        rows, errors = [], []
        for key, value in specs.items():
            try:
                parsed = registry.parse({key: value})
            except exception.BrickException as err:
                errors.append(err)
                continue
            if key not in parsed.keys:
                rows.append((key, value, IGNORED))
                continue
            found, number = registry.lookup(key)
            field = found.field if number is None else \
                'volume%d.%s' % (number, found.field)
            rows.append((key, registry.format(parsed.keys)[key], field))
        if not errors:
            try:
                # What only the whole set can tell: a volume number
                # beyond brick:count, a size of 0 with numbered keys...
                request.build(flavor=specs)
            except exception.BrickException as err:
                errors.append(err)
        for error in errors[:-1]:
            common.report(self.app, error)
        if errors:
            raise errors[-1]
        return COLUMNS, rows
