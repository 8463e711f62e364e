# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The generated reference says what the code declares, and the whole
documentation builds with warnings as errors (as ``tox -e docs``)."""

import pathlib
import sys

import pytest

from brick import drivers
from brick.drivers.volume import Capability

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCS = ROOT / 'doc' / 'source'
sys.path.insert(0, str(DOCS / '_ext'))
import brick_plugins  # noqa: E402


def _rows(lines):
    """The body rows of a grid table, as lists of stripped cells."""
    return [[cell.strip() for cell in line.strip('|').split('|')]
            for line in lines if line.startswith('|')][1:]


def test_matrix_matches_the_declared_capabilities():
    rows = _rows(brick_plugins.render_matrix())
    assert [row[0] for row in rows] == ['``%s``' % name
                                        for name in drivers.names()]
    for row in rows:
        cls = drivers.driver_class(row[0].strip('`'))
        declared = [cap for cap, cell in zip(Capability, row[1:],
                                             strict=True)
                    if cell == brick_plugins.YES]
        assert set(declared) == set(cls.capabilities), row[0]


def test_every_capability_has_a_meaning():
    meanings = brick_plugins.capability_docs()
    assert set(meanings) == set(Capability)
    assert all(meanings.values()), meanings


def test_driver_sections_list_every_option():
    for name in drivers.names():
        cls = drivers.driver_class(name)
        text = '\n'.join(brick_plugins.render_driver(name, cls))
        for opt in cls.OPTS:
            assert '``%s``' % opt.dest in text, (name, opt.dest)
        assert cls.__name__ in text


@pytest.mark.parametrize('namespace', ['brick.scheduler.filters',
                                       'brick.scheduler.weighers'])
def test_plugin_tables_list_every_entry_point(namespace):
    from stevedore import extension

    names = sorted(extension.ExtensionManager(namespace).names())
    rows = _rows(brick_plugins.render_plugins(namespace))
    assert [row[0] for row in rows if row[0]] == [
        '``%s``' % name for name in names]


@pytest.mark.slow
def test_documentation_builds_without_warnings(tmp_path):
    application = pytest.importorskip('sphinx.application')
    from sphinx.util import docutils

    # Process-wide docutils registries: see test_extra_specs.py.
    with docutils.docutils_namespace():
        app = application.Sphinx(str(DOCS), str(DOCS), str(tmp_path / 'html'),
                                 str(tmp_path / 'doctrees'), 'html',
                                 status=None, warningiserror=True)
        app.build()
    assert app.statuscode == 0
    page = (tmp_path / 'html' / 'reference' / 'drivers.html').read_text()
    assert all(name in page for name in drivers.names())


def test_tox_builds_the_docs_with_warnings_as_errors():
    import configparser

    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / 'tox.ini')
    env = tox['testenv:docs']
    assert 'doc/requirements.txt' in env['deps']
    command = env['commands'].split()
    assert command[:2] == ['sphinx-build', '-W'] and 'doc/source' in command
