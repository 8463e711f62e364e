# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.

"""Sphinx directives that document brick's plugins from the code itself.

``.. brick-driver-matrix::``
    One table: every installed volume driver (``brick.volume_drivers``)
    against every :class:`~brick.drivers.volume.Capability`.
``.. brick-drivers::``
    A section per driver: its docstrings (what it needs on the host, what
    it cannot do), a table of its capabilities and one of its
    ``[pool:NAME]`` options.
``.. brick-plugins:: NAMESPACE``
    The plugins of an entry-point namespace (filters, weighers) with the
    first paragraph of each one's docstring.

Everything is read from the declared ``capabilities`` and ``OPTS`` of the
driver classes and from the entry points, so the reference cannot drift
from the code; ``tests/docs/test_reference.py`` checks the same against
the classes.  The render functions return reStructuredText, which the
directives parse in place.
"""

import importlib
import inspect
import textwrap

from docutils import statemachine
from docutils.parsers.rst import Directive
from sphinx.pycode import ModuleAnalyzer
from stevedore import extension

from brick import drivers
from brick.drivers.volume import Capability

_TYPES = {'StrOpt': 'string', 'IntOpt': 'integer', 'FloatOpt': 'float',
          'BoolOpt': 'boolean', 'ListOpt': 'list'}
YES = 'yes'
NO = '--'


def _table(header, rows):
    """A reST grid table; cells may hold several lines."""
    cells = [[str(cell).split('\n') for cell in row]
             for row in [header, *rows]]
    widths = [max(len(line) for row in cells for line in row[col])
              for col in range(len(header))]

    def rule(char):
        return '+' + '+'.join(char * (w + 2) for w in widths) + '+'

    def line(row):
        height = max(len(cell) for cell in row)
        out = []
        for i in range(height):
            out.append('|' + '|'.join(
                ' %s ' % (cell[i] if i < len(cell) else '').ljust(w)
                for cell, w in zip(row, widths, strict=True)) + '|')
        return out

    lines = [rule('-'), *line(cells[0]), rule('=')]
    for row in cells[1:]:
        lines += [*line(row), rule('-')]
    return lines


def _paragraphs(text):
    return [p for p in inspect.cleandoc(text or '').split('\n\n') if p]


def _first_paragraph(text):
    paragraphs = _paragraphs(text)
    return ' '.join(paragraphs[0].split()) if paragraphs else ''


def capability_docs():
    """``{Capability: one-line meaning}``, from the enum's attribute
    docstrings in :mod:`brick.drivers.volume`."""
    docs = ModuleAnalyzer.for_module('brick.drivers.volume').find_attr_docs()
    return {cap: ' '.join(' '.join(docs.get(('Capability', cap.name),
                                            [''])).split())
            for cap in Capability}


def _driver_classes():
    return [(name, drivers.driver_class(name)) for name in drivers.names()]


def render_matrix():
    """The driver x capability table, reST lines."""
    caps = list(Capability)
    rows = [[('``%s``' % name)] + [YES if cap in cls.capabilities else NO
                                   for cap in caps]
            for name, cls in _driver_classes()]
    return _table(['driver'] + [cap.value for cap in caps], rows)


def _description(cls):
    """The driver's module and class docstrings, minus field lists and
    pointers from one to the other."""
    module = importlib.import_module(cls.__module__)
    parts = []
    for text in (module.__doc__, cls.__doc__):
        for paragraph in _paragraphs(text):
            if 'see the module docstring' in paragraph:
                continue
            if paragraph.lstrip().startswith(':'):
                continue
            parts.append(paragraph)
    return parts


def _default(opt):
    if opt.required:
        return '(required)'
    if opt.default in (None, [], ''):
        return '(unset)'
    if isinstance(opt.default, list):
        return ', '.join(str(item) for item in opt.default)
    return str(opt.default)


def _option_help(opt):
    text = ' '.join((opt.help or '').split())
    choices = getattr(opt.type, 'choices', None)
    if choices:
        text += ' Choices: ' + ', '.join(
            '``%s``' % choice for choice in choices) + '.'
    return textwrap.fill(text, 60)


def render_driver(name, cls):
    """The section of driver *name*, reST lines."""
    title = '``%s``' % name
    lines = [title, '-' * len(title), '',
             'Class :class:`%s.%s`.' % (cls.__module__, cls.__name__), '']
    for paragraph in _description(cls):
        lines += paragraph.split('\n') + ['']
    meanings = capability_docs()
    lines += ['Capabilities', '~' * len('Capabilities'), '']
    lines += _table(['capability', name, 'meaning'], [
        ['``%s``' % cap.value, YES if cap in cls.capabilities else NO,
         textwrap.fill(meanings[cap], 60)] for cap in Capability])
    lines += ['', 'Options of ``[pool:NAME]``', '~' * 26, '']
    rows = [['``driver``', 'string', '(required)',
             'Set to ``%s`` for this driver.' % name]]
    rows += [['``%s``' % opt.dest, _TYPES.get(type(opt).__name__, 'string'),
              _default(opt), _option_help(opt)]
             for opt in cls.OPTS]
    lines += _table(['option', 'type', 'default', 'meaning'], rows)
    return lines + ['']


def render_drivers():
    """A section per installed driver, reST lines."""
    lines = []
    for name, cls in _driver_classes():
        lines += render_driver(name, cls)
    return lines


def render_plugins(namespace):
    """The plugins of *namespace*, reST lines."""
    manager = extension.ExtensionManager(namespace, invoke_on_load=False)
    rows = []
    for ext in sorted(manager, key=lambda e: e.name):
        cls = ext.plugin
        module = importlib.import_module(cls.__module__)
        summary = _first_paragraph(cls.__doc__) or _first_paragraph(
            module.__doc__)
        rows.append(['``%s``' % ext.name,
                     ':class:`%s.%s`' % (cls.__module__, cls.__name__),
                     textwrap.fill(summary, 60)])
    return _table(['name', 'class', 'what it does'], rows)


class _Generated(Directive):
    """Parse the lines a render function returns in place."""

    def render(self):
        raise NotImplementedError

    def run(self):
        self.state_machine.insert_input(
            statemachine.StringList(self.render()),
            '%s (generated by brick_plugins)' % self.name)
        return []


class DriverMatrix(_Generated):
    def render(self):
        return render_matrix()


class Drivers(_Generated):
    def render(self):
        return render_drivers()


class Plugins(_Generated):
    required_arguments = 1

    def render(self):
        return render_plugins(self.arguments[0])


def setup(app):
    app.add_directive('brick-driver-matrix', DriverMatrix)
    app.add_directive('brick-drivers', Drivers)
    app.add_directive('brick-plugins', Plugins)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
