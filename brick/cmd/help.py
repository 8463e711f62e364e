# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Help for command groups: ``brick volume``, ``brick ganeti --help``.

cliff knows commands, not groups: a command named ``ganeti install`` does
not make ``ganeti`` anything, so ``brick ganeti`` was "not a brick
command" and ``brick help ganeti`` printed bare names.  A group is every
leading run of words of some command's name; its help lists its commands
with their one-line descriptions.
"""

import argparse

from cliff import commandmanager
from cliff import help as cliff_help

from brick import exit_codes

FOOTER = "Run 'brick help COMMAND' or 'brick COMMAND --help' for its options."


def group_commands(manager: commandmanager.CommandManager,
                   words: list[str]) -> list[str]:
    """The names of the commands in the group *words*, sorted; empty if
    *words* is no group (or is a whole command).

    :param manager: the app's :class:`cliff.commandmanager.CommandManager`.
    :param words: the group's words, e.g. ``['volume', 'snapshot']``.
    """
    prefix = ' '.join(words) + ' '
    return sorted(name for name, _ in manager if name.startswith(prefix))


def describe(manager: commandmanager.CommandManager,
             names: list[str]) -> list[str]:
    """Lines listing *names* with the first line of their docstring."""
    factories = dict(manager)
    width = max(len(name) for name in names)
    lines = []
    for name in names:
        doc = (factories[name].load().__doc__ or '').strip()
        summary = doc.split('\n', 1)[0].rstrip('.')
        lines.append('  %-*s  %s' % (width, name, summary))
    return lines


def group_help(manager: commandmanager.CommandManager,
               words: list[str]) -> str | None:
    """The text ``brick help GROUP`` prints, or None if *words* is no
    group."""
    names = group_commands(manager, words)
    if not names:
        return None
    return "Commands of 'brick %s':\n%s\n\n%s\n" % (
        ' '.join(words), '\n'.join(describe(manager, names)), FOOTER)


class HelpCommand(cliff_help.HelpCommand):
    """Print the help of a command, or the commands of a group."""

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        words = parsed_args.cmd
        if words:
            text = group_help(self.app.command_manager, words)
            if text is not None:
                self.app.stdout.write(text)
                return 0
        try:
            return super().take_action(parsed_args)
        except ValueError:  # cliff's "Unknown command", exit code 1
            self.app.stderr.write("brick: '%s' is not a brick command; see "
                                  "'brick --help'.\n" % ' '.join(words))
            return exit_codes.USAGE
