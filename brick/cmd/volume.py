# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.

"""``brick volume ...``: the volumes of this node's pools.

Every verb works on one pool (``--pool``, default ``raw``) except
``volume list``, which lists every pool unless told one.  The verbs are
as idempotent as the drivers: creating a volume that exists with the same
size, or deleting one that does not exist, succeeds.
"""

from brick import exception
from brick import names
from brick import units
from brick.cmd import common


class CreateVolume(common.ShowOne):
    """Create a volume (or show it if it exists with this size)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', metavar='NAME', help='the new volume')
        common.add_size_argument(parser, 'virtual size of the volume')
        common.add_pool_argument(parser)
        return parser

    def take_action(self, parsed_args):
        size = common.parse_size(parsed_args.size, 'volume size')
        driver = self.app.node.driver(parsed_args.pool)
        volume = driver.create(parsed_args.name, size)
        return common.VOLUME_COLUMNS, common.volume_row(driver, volume)


class ListVolumes(common.Lister):
    """List the volumes of every pool, or of one (--pool).

    Volumes brick did not create (an administrator's lvcreate or
    qemu-img create) are listed too, with managed False.
    """

    SHORT = ('name', 'pool', 'size', 'allocated', 'format', 'managed')

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        common.add_pool_argument(
            parser, 'list only this pool (default: every pool of the node)')
        parser.add_argument(
            '--long', action='store_true',
            help='also show driver, path and backing')
        return parser

    def take_action(self, parsed_args):
        node = self.app.node
        pools = [parsed_args.pool] if parsed_args.pool else node.names()
        rows = []
        for pool in pools:
            try:
                driver = node.driver(pool)
                volumes = driver.list()
            except Exception as err:
                if parsed_args.pool:
                    raise
                # One broken pool must not hide the others' volumes; the
                # command still exits non-zero.
                self.defer(err)
                continue
            rows.extend(common.volume_row(driver, volume) for volume in
                        sorted(volumes, key=lambda v: v.name))
        columns = common.VOLUME_COLUMNS
        if not parsed_args.long:
            keep = [columns.index(column) for column in self.SHORT]
            rows = [tuple(row[i] for i in keep) for row in rows]
            columns = self.SHORT
        return columns, rows


class ShowVolume(common.ShowOne):
    """Show one volume."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', metavar='NAME', help='the volume')
        common.add_pool_argument(parser)
        return parser

    def take_action(self, parsed_args):
        driver = self.app.node.driver(parsed_args.pool)
        volume = driver.get(parsed_args.name)
        return common.VOLUME_COLUMNS, common.volume_row(driver, volume)


class DeleteVolume(common.Command):
    """Delete volumes; a volume that does not exist is not an error."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('names', metavar='NAME', nargs='+',
                            help='the volumes to delete')
        common.add_pool_argument(parser)
        return parser

    def take_action(self, parsed_args):
        # Check every name before deleting any: bad input changes nothing.
        for name in parsed_args.names:
            names.validate(name, 'volume name')
        driver = self.app.node.driver(parsed_args.pool)
        for name in parsed_args.names:
            driver.delete(name)


class _Resize(common.ShowOne):
    """Set a volume's size; subclasses say in which direction."""

    grows = True

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', metavar='NAME', help='the volume')
        common.add_size_argument(
            parser, 'the new, %s virtual size' % (
                'larger' if self.grows else 'smaller'))
        common.add_pool_argument(parser)
        return parser

    def take_action(self, parsed_args):
        size = common.parse_size(parsed_args.size, 'new volume size')
        driver = self.app.node.driver(parsed_args.pool)
        resize = driver.extend if self.grows else driver.shrink
        try:
            volume = resize(parsed_args.name, size)
        except exception.InvalidSize as err:
            # The driver refuses the wrong direction in a library's words;
            # a shell user gets the command that does it.  The volume is
            # read on this failure path only, not before every resize.
            current = driver.get(parsed_args.name).size
            if (size >= current) if self.grows else (size <= current):
                raise      # another refusal, such as a size off the step
            raise exception.InvalidSize(
                field='new volume size', value=parsed_args.size,
                reason='%s than the current size of %s, %s' % (
                    'smaller' if self.grows else 'larger',
                    parsed_args.name, units.show(current)),
                allowed="%s the current size; 'brick volume %s' makes a "
                        "volume %s" % (
                            'at least' if self.grows else 'at most',
                            'shrink' if self.grows else 'extend',
                            'smaller, losing the data past the new end'
                            if self.grows else 'larger')) from err
        return common.VOLUME_COLUMNS, common.volume_row(driver, volume)


class ExtendVolume(_Resize):
    """Grow a volume to a new size (the same size is a no-op)."""


class ShrinkVolume(_Resize):
    """Shrink a volume to a new size, losing the data past the new end.

    Only pools whose driver has the shrink capability can (raw, and
    qcow2 without preallocation); the others exit 5.  Shrink the file
    system inside first.
    """

    grows = False


class CloneVolume(common.ShowOne):
    """Create a volume with the content of another in the same pool."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('source', metavar='SOURCE',
                            help='the volume to copy')
        parser.add_argument('name', metavar='NAME', help='the new volume')
        parser.add_argument(
            '--overlay', action='store_true',
            help='make a copy-on-write child of SOURCE instead of a full '
                 'copy (drivers with the clone-overlay capability); SOURCE '
                 'must then stay')
        common.add_pool_argument(parser)
        return parser

    def take_action(self, parsed_args):
        driver = self.app.node.driver(parsed_args.pool)
        volume = driver.clone(parsed_args.source, parsed_args.name,
                              overlay=parsed_args.overlay)
        return common.VOLUME_COLUMNS, common.volume_row(driver, volume)


class AttachVolume(common.ShowOne):
    """Make a volume usable on this host; print its connection info.

    ``-f json`` prints exactly the connection info os-brick's LOCAL
    connector takes: {"driver_volume_type": "local", "data": {...}}.
    Attaching again is harmless.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', metavar='NAME', help='the volume')
        common.add_pool_argument(parser)
        return parser

    def take_action(self, parsed_args):
        driver = self.app.node.driver(parsed_args.pool)
        info = driver.attach(parsed_args.name)
        columns = tuple(info)
        return columns, tuple(common.Mapping(value) if isinstance(value, dict)
                              else value for value in info.values())


class DetachVolume(common.Command):
    """Undo volume attach (harmless if not attached)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', metavar='NAME', help='the volume')
        common.add_pool_argument(parser)
        return parser

    def take_action(self, parsed_args):
        self.app.node.driver(parsed_args.pool).detach(parsed_args.name)
