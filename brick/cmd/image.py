# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``brick volume import`` and ``brick volume export``: images in and out.

Both run ``qemu-img convert`` (the pool's driver decides how) and show a
progress bar on stderr when stderr is a terminal (``--progress`` forces
it, ``--no-progress`` hides it).  Only drivers with the ``copy-image``
capability do this; the others exit 5.
"""

import os

from brick.cmd import common

EXPORT_COLUMNS = ('name', 'pool', 'target', 'format', 'size')


class ProgressBar:
    """A one-line bar, redrawn with ``\\r``; call with a percentage.

    :param stream: where to draw (stderr).
    :param label: text before the bar.
    """

    WIDTH = 30

    def __init__(self, stream, label):
        self.stream = stream
        self.label = label
        self._shown = None

    def __call__(self, percent):
        percent = min(100.0, max(0.0, float(percent)))
        text = '%5.1f%%' % percent
        if text == self._shown:
            return
        self._shown = text
        filled = int(self.WIDTH * percent / 100)
        self.stream.write('\r%s [%s%s] %s' % (
            self.label, '#' * filled, '-' * (self.WIDTH - filled), text))
        self.stream.flush()

    def close(self):
        """End the line, if anything was drawn."""
        if self._shown is not None:
            self.stream.write('\n')
            self.stream.flush()


def add_progress_argument(parser):
    """Add ``--progress`` / ``--no-progress`` (default: when stderr is a
    terminal)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument('--progress', action='store_true', default=None,
                       help='show a progress bar on stderr (default: when '
                            'stderr is a terminal)')
    group.add_argument('--no-progress', dest='progress',
                       action='store_false', help='show no progress bar')


def progress_bar(app, parsed_args, label):
    """A :class:`ProgressBar` on the app's stderr, or None when
    ``--no-progress`` or stderr is no terminal."""
    wanted = parsed_args.progress
    if wanted is None:
        wanted = app.stderr.isatty()
    return ProgressBar(app.stderr, label) if wanted else None


def _run(bar, work):
    try:
        return work(bar)
    finally:
        if bar is not None:
            bar.close()


class ImportVolume(common.ShowOne):
    """Create a volume from an image file (raw, qcow2, vdi, vmdk...).

    The image is inspected first, in Python, before qemu-img reads it
    (under resource limits): one that names a backing or data file, a
    vmdk whose extents are other files, or content that is not
    --image-format is refused (exit 2), so an image cannot pull another
    host file in.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', metavar='NAME', help='the new volume')
        parser.add_argument('image', metavar='IMAGE',
                            help='the image file to read')
        parser.add_argument('--image-format', metavar='FORMAT',
                            help='format of IMAGE (raw, qcow2, vdi, vmdk, '
                                 'vhdx, vpc); the content must be in it. '
                                 'Default: what the content shows')
        common.add_pool_argument(parser)
        add_progress_argument(parser)
        return parser

    def take_action(self, parsed_args):
        driver = self.app.node.driver(parsed_args.pool)
        bar = progress_bar(self.app, parsed_args,
                        'importing %s' % parsed_args.name)
        volume = _run(bar, lambda progress: driver.import_image(
            parsed_args.name, os.path.abspath(parsed_args.image),
            parsed_args.image_format, progress=progress))
        return common.VOLUME_COLUMNS, common.volume_row(driver, volume)


class ExportVolume(common.ShowOne):
    """Write a volume's content to a new image file or a block device."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', metavar='NAME', help='the volume')
        parser.add_argument('target', metavar='TARGET',
                            help='the image file to write; it must not '
                                 'exist (a block device may)')
        parser.add_argument('--image-format', metavar='FORMAT',
                            default='raw',
                            help='format of TARGET: raw (default), qcow2, '
                                 'vdi...')
        common.add_pool_argument(parser)
        add_progress_argument(parser)
        return parser

    def take_action(self, parsed_args):
        driver = self.app.node.driver(parsed_args.pool)
        volume = driver.get(parsed_args.name)
        target = os.path.abspath(parsed_args.target)
        bar = progress_bar(self.app, parsed_args,
                        'exporting %s' % parsed_args.name)
        _run(bar, lambda progress: driver.export_image(
            parsed_args.name, target, parsed_args.image_format,
            progress=progress))
        return EXPORT_COLUMNS, (volume.name, driver.pool, target,
                                parsed_args.image_format,
                                common.Size(volume.size))
