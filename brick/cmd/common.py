# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.

"""What every ``brick`` command shares: error reporting,
output columns and the ``--pool`` and ``--size`` arguments.

Output follows one rule: the table format is for people and prints sizes
as ``20 GiB``; every other format (json, yaml, value, csv, shell) is for
programs and prints integer bytes.  Column names are the snake_case
field names of :mod:`brick.drivers.volume`, the same in every command.
"""

import traceback
from typing import TYPE_CHECKING

from cliff import columns
from cliff import command
from cliff import lister
from cliff import show
from oslo_config import cfg

from brick import exception
from brick import exit_codes
from brick import units

if TYPE_CHECKING:
    from brick.cmd import cli


def report(app, err):
    """Print *err* on the app's stderr and return its exit code.

    The traceback is printed only with ``--debug``: a brick error's message
    already names what was wrong and what is allowed.

    :param app: the running :class:`cliff.app.App`.
    :param err: the exception a command raised.
    :returns: the exit code for *err* (see :func:`brick.exit_codes.of`).
    """
    debug = getattr(app.options, 'debug', False)
    if debug:
        traceback.print_exception(err, file=app.stderr)
    if isinstance(err, (exception.BrickException, cfg.Error)):
        app.stderr.write('brick: %s\n' % err)
    else:
        app.stderr.write('brick: unexpected error: %s: %s%s\n' % (
            type(err).__name__, err,
            '' if debug else ' (run with --debug for the traceback)'))
    return exit_codes.of(err)


class _Reporting:
    """Turns exceptions into a message and an exit code
    (:mod:`brick.exit_codes`).

    A command that produced partial output (a listing across pools where
    one pool failed) reports the failure with :meth:`defer` and still
    exits non-zero.
    """

    _deferred = None

    def defer(self, err):
        """Print *err* now (:func:`report`) and go on; the command exits
        with the code of the first such error after its output."""
        report(self.app, err)
        if self._deferred is None:
            self._deferred = err

    def run(self, parsed_args):
        try:
            result = super().run(parsed_args)
        except BrokenPipeError:
            raise  # cliff exits 141, as a shell pipeline expects
        except Exception as err:
            return report(self.app, err)
        if self._deferred is not None:
            return exit_codes.of(self._deferred)
        return result


class Command(_Reporting, command.Command):
    """A command that prints nothing on success."""

    app: 'cli.BrickApp'


class Lister(_Reporting, lister.Lister):
    """A command that prints rows (``-f table|json|yaml|value|csv``).

    Rows come in a meaningful order (pool order, then name); cliff sorts
    them only when asked with ``--sort-column``.
    """

    app: 'cli.BrickApp'


class ShowOne(_Reporting, show.ShowOne):
    """A command that prints one object (``-f table|json|yaml|value``)."""

    app: 'cli.BrickApp'


# -- arguments ----------------------------------------------------------------

def add_pool_argument(parser, help_text=None):
    """Add ``--pool NAME`` (default: the node's default pool)."""
    parser.add_argument(
        '--pool', metavar='NAME', default=None,
        help=help_text or ("the pool to use; default 'raw' (or the only "
                           "pool of a node that has one); see "
                           "'brick node pool list'"))


def add_size_argument(parser, help_text):
    """Add a required ``--size SIZE`` that :func:`parse_size` reads."""
    parser.add_argument('--size', metavar='SIZE', required=True,
                        help=help_text + '; e.g. 10G, 512M, 1T or bytes; '
                        'single letters are powers of 1024')


def parse_size(value, field):
    """Parse a size given on the command line into bytes.

    Parsed here rather than by argparse so that a bad size gets brick's
    own message (field, value, allowed syntax) and exit code 2.

    :raises brick.exception.InvalidSize: not a size.
    """
    return units.validate(units.parse(value, field), field)


# -- output columns -----------------------------------------------------------

def parse_number(value, field):
    """Parse a number given on the command line (a ratio, a cost).

    :raises brick.exception.InvalidValue: not a number.
    """
    try:
        return float(value)
    except ValueError:
        raise exception.InvalidValue(field=field, value=value,
                                     allowed='a number such as 1.5') from None


def parse_pairs(items, field):
    """Turn ``KEY=VALUE`` strings into a dict, in the order given.

    :raises brick.exception.InvalidValue: an item without ``=`` or a key
        given twice.
    """
    pairs = {}
    for item in items or ():
        key, sep, value = item.partition('=')
        if not sep or not key:
            raise exception.InvalidValue(field=field, value=item,
                                         allowed='KEY=VALUE')
        if key in pairs:
            raise exception.InvalidValue(field=field, value=item,
                                         allowed='each KEY once')
        pairs[key] = value
    return pairs


def timestamp(value):
    """A UTC datetime as ``2026-01-31T12:00:00Z`` (None stays)."""
    if value is None:
        return None
    return value.strftime('%Y-%m-%dT%H:%M:%SZ')


class Size(columns.FormattableColumn):
    """Bytes: ``20 GiB`` in a table, the integer in machine formats."""

    def human_readable(self):
        if self._value is None:
            return '-'
        return units.human(self._value)

    def machine_readable(self):
        return self._value


class Sizes(columns.FormattableColumn):
    """A list of bytes: ``1 GiB, 2 GiB`` in a table, ints in json."""

    def human_readable(self):
        return ', '.join(units.human(value) for value in self._value)

    def machine_readable(self):
        return list(self._value)


class Items(columns.FormattableColumn):
    """A list: comma-separated in a table, a list in json and yaml."""

    def human_readable(self):
        return ', '.join(str(item) for item in self._value)

    def machine_readable(self):
        return list(self._value)


class Mapping(columns.FormattableColumn):
    """A dict: ``key='value'`` pairs in a table, an object in json."""

    def human_readable(self):
        return ', '.join('%s=%r' % item for item in sorted(
            self._value.items()))

    def machine_readable(self):
        return dict(self._value)


VOLUME_COLUMNS = ('name', 'pool', 'driver', 'size', 'allocated', 'format',
                  'managed', 'path', 'backing')
"""Every column of a volume, in order; ``volume show`` prints them all."""


def volume_row(driver, volume):
    """Return the row of :data:`VOLUME_COLUMNS` for *volume*."""
    return (volume.name, driver.pool, driver.name, Size(volume.size),
            Size(volume.allocated), volume.format, volume.managed,
            volume.path, volume.backing)
