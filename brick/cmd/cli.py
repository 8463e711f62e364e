# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.

"""The ``brick`` command: node-local volumes from the shell.

::

    brick volume create --size 10G vol1
    brick volume create --pool qcow2 --size 20G vm1-disk0
    brick volume list -f json
    brick node pool list
    brick inventory apply -f inventory.yaml
    brick pool top
    brick place --size 20G --locality rack --explain

The commands are cliff plugins in the ``brick.cli`` entry-point namespace
(see ``setup.cfg``).  Configuration is oslo.config: ``--config-file`` and
``--config-dir``, else the usual places (``~/.brick/brick.conf``,
``/etc/brick/brick.conf``...).  No configuration at all is fine: the node
then has three file pools, ``raw``, ``qcow2`` and ``vdi``, under
``[brick]data_dir`` (``--data-dir`` or ``$BRICK_DATA_DIR`` override it).

Errors print one line, ``brick: <message>``, on stderr (``--debug`` adds
the traceback), and the exit code says what kind of error it was:

====  ===============================================================
0     success; repeating a create or delete that is already done also
      succeeds
1     the host or an external command failed, or an unexpected error
2     bad command line, name, size, option or configuration; nothing
      was changed
3     no such volume, snapshot, pool, host, driver or flow
4     clashes with what exists: a volume of another size, a busy
      volume, not enough space, nothing fits (``brick place``)
5     the pool's driver does not support the operation
130   interrupted
====  ===============================================================
"""

import argparse
import logging as std_logging
import os
import sys
import textwrap
import warnings
from typing import TextIO

from cliff import app
from cliff import commandmanager
from oslo_config import cfg
from oslo_log import log as logging

import brick.conf
import brick.conf.opts
from brick import exit_codes
from brick.cmd import help as help_mod
from brick.node import agent

NAMESPACE = 'brick.cli'
_SAID_IN_ERRORS = ('oslo_utils.imageutils', 'brick.local.image_check')
_EVENTLET_WARNING = r'\s*Eventlet is deprecated'


def _epilog():
    lines = ['exit codes:']
    for code, meaning in exit_codes.MEANINGS:
        lines.extend(textwrap.wrap(meaning, width=70,
                                   initial_indent='  %-4d  ' % code,
                                   subsequent_indent=' ' * 8))
    lines.append('')
    lines.append("Run 'brick help COMMAND' or 'brick COMMAND --help' for "
                 "the options of a command,")
    lines.append("'brick help GROUP' (e.g. 'brick help volume') for the "
                 "commands of a group.")
    return '\n'.join(lines)


class BrickApp(app.App):
    """The cliff application behind ``brick``.

    :param node: a :class:`~brick.node.agent.NodeAgent` to use instead of
        one built from the configuration (for embedding and tests).
    """

    NAME = 'brick'
    # oslo.log's adapter, which cliff uses as the Logger it declares.
    LOG = logging.getLogger('brick.cmd')  # type: ignore[assignment]
    CONSOLE_MESSAGE_FORMAT = 'brick: %(levelname)s: %(message)s'

    def __init__(self, stdin: TextIO | None = None,
                 stdout: TextIO | None = None,
                 stderr: TextIO | None = None,
                 node: agent.NodeAgent | None = None) -> None:
        super().__init__(
            description='Node-local volumes (create, grow, snapshot, '
                        'clone, import, export), the inventory of hosts '
                        'and pools, and placement.',
            version=brick.conf.version(),
            command_manager=commandmanager.CommandManager(NAMESPACE),
            stdin=stdin, stdout=stdout, stderr=stderr,
            # 'brick volume create --help' is 'brick help volume create',
            # not the top-level help.
            deferred_help=True)
        self.command_manager.add_command('help', help_mod.HelpCommand)
        self._node: agent.NodeAgent | None = node
        self._conf: cfg.ConfigOpts | None = None
        self._interactive_result: int | None = None
        self._log_handlers: list[std_logging.Handler] = []
        self._root_level: int | None = None

    def build_option_parser(self, description, version, argparse_kwargs=None):
        kwargs = dict(argparse_kwargs or {}, epilog=_epilog(),
                      formatter_class=argparse.RawDescriptionHelpFormatter)
        parser = super().build_option_parser(description, version, kwargs)
        for action in parser._actions:
            if action.dest == 'version':
                # cliff names the program after sys.argv[0] (pytest...).
                action.version = '%s %s' % (self.NAME, version)
        parser.add_argument(
            '--config-file', metavar='PATH', action='append',
            dest='config_files',
            help='read this configuration file instead of the default '
                 '~/.brick/brick.conf or /etc/brick/brick.conf; repeat to '
                 'read several, later ones win')
        parser.add_argument(
            '--config-dir', metavar='DIR', action='append',
            dest='config_dirs',
            help='also read every *.conf file in DIR, in sorted order')
        parser.add_argument(
            '--data-dir', metavar='DIR',
            default=os.environ.get('BRICK_DATA_DIR') or None,
            help='override [brick]data_dir, where the default pools live '
                 '(default: $BRICK_DATA_DIR, else the configured one, else '
                 '/var/lib/brick for root)')
        return parser

    @property
    def conf(self) -> cfg.ConfigOpts:
        """The configuration (:func:`brick.conf.load`), read on first use so
        that ``brick help`` needs none."""
        if self._conf is None:
            self._conf = brick.conf.load(self.options.config_files,
                                   self.options.config_dirs,
                                   self.options.data_dir)
        return self._conf

    @property
    def node(self) -> agent.NodeAgent:
        """This host's :class:`~brick.node.agent.NodeAgent`, built from
        the configuration on first use."""
        if self._node is None:
            self._node = agent.NodeAgent.from_conf(self.conf)
        return self._node

    def configure_logging(self):
        # brick's own messages go through common.report(); logging is for
        # -v (INFO) and -vv (DEBUG: every command run).  brick logs through
        # oslo.log's loggers, which are the standard library's underneath,
        # so the handlers here are plain logging ones, as cliff sets them.
        # close() removes them again, so in-process callers do not pile up
        # handlers on the root logger.
        level = {0: std_logging.ERROR, 1: std_logging.WARNING,
                 2: std_logging.INFO}.get(self.options.verbose_level,
                                          std_logging.DEBUG)
        root = std_logging.getLogger()
        self._root_level = root.level
        console = std_logging.StreamHandler(self.stderr)
        console.setLevel(level)
        console.setFormatter(
            std_logging.Formatter(self.CONSOLE_MESSAGE_FORMAT))
        # stevedore's "found extension" lines would bury the commands run.
        console.addFilter(lambda record: record.levelno >= std_logging.INFO
                          or not record.name.startswith('stevedore'))
        # An image's failed safety checks are logged for services; here
        # the error message says the same, once (-v shows them too).
        verbose = level <= std_logging.INFO
        console.addFilter(lambda record: verbose
                          or not record.name.startswith(_SAID_IN_ERRORS))
        self._log_handlers = [console]
        if self.options.log_file:
            log_file = std_logging.FileHandler(self.options.log_file)
            log_file.setFormatter(
                std_logging.Formatter(self.LOG_FILE_MESSAGE_FORMAT))
            self._log_handlers.append(log_file)
            level = std_logging.DEBUG
        root.setLevel(level)
        for handler in self._log_handlers:
            root.addHandler(handler)

    def close(self):
        """Remove the logging handlers :meth:`configure_logging` added."""
        root = std_logging.getLogger()
        for handler in self._log_handlers:
            root.removeHandler(handler)
            handler.close()
        self._log_handlers = []
        if self._root_level is not None:
            root.setLevel(self._root_level)

    def run(self, argv):
        result = super().run(argv)
        # cliff returns 1 after its interactive shell, whatever happened.
        return result if self._interactive_result is None \
            else self._interactive_result

    def interact(self):
        # With no command, cliff starts a shell reading stdin; a script
        # that forgot the command must get an error, not a hang.
        if not self.stdin.isatty():
            self.stderr.write("brick: no command given; see "
                              "'brick --help'.\n")
            self._interactive_result = exit_codes.USAGE
            return
        super().interact()
        self._interactive_result = exit_codes.OK

    def run_subcommand(self, argv):
        # cliff prints "not a command" on stdout; scripts read stdout.
        if argv[0].startswith('-'):
            self.stderr.write("brick: unknown option '%s'; options go before "
                              "the command, see 'brick --help'.\n" % argv[0])
            return exit_codes.USAGE
        try:
            self.command_manager.find_command(argv)
        except ValueError:
            group = help_mod.group_help(self.command_manager, argv)
            if group is not None:
                self.stderr.write("brick: '%s' needs a command.\n%s" % (
                    ' '.join(argv), group))
                return exit_codes.USAGE
            self.stderr.write("brick: '%s' is not a brick command; see "
                              "'brick --help'.\n" % ' '.join(argv))
            matches = self.get_fuzzy_matches(argv[0])
            if matches:
                self.stderr.write('Did you mean one of these?\n')
                for match in matches:
                    self.stderr.write('  %s\n' % match)
            return exit_codes.USAGE
        return super().run_subcommand(argv)


def main(argv=None, **kwargs):
    """Run ``brick`` with *argv* (default ``sys.argv[1:]``).

    :param kwargs: passed to :class:`BrickApp` (``stdout``, ``node``...).
    :returns: the exit code (see the module docstring).
    """
    brick_app = BrickApp(**kwargs)
    try:
        with warnings.catch_warnings():
            # The workflow's taskflow imports eventlet, which brick never
            # uses and which warns about itself on import (flow resume, db
            # upgrade); the warning would land on the command's stderr.
            warnings.filterwarnings('ignore', message=_EVENTLET_WARNING)
            return brick_app.run(sys.argv[1:] if argv is None
                                 else list(argv))
    except SystemExit as err:
        # argparse exits 2 on a usage error, help exits with None (0).
        if err.code is None or isinstance(err.code, int):
            return err.code or 0
        brick_app.stderr.write('%s\n' % err.code)
        return exit_codes.ERROR
    finally:
        brick_app.close()


if __name__ == '__main__':
    sys.exit(main())
