# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Release notes are reno notes that reno can render."""

import pathlib
import re

import pytest
import yaml

NOTES = pathlib.Path(__file__).resolve().parents[2] / 'releasenotes' / 'notes'
# reno's default sections (reno/defaults.py).
SECTIONS = {'prelude', 'features', 'issues', 'upgrade', 'deprecations',
            'critical', 'security', 'fixes', 'other'}
TEMPLATE = 'List new features here'


def _notes():
    return sorted(NOTES.glob('*.yaml'))


def test_there_are_notes():
    assert _notes(), 'add a note with: reno new SLUG'


@pytest.mark.parametrize('path', _notes(), ids=lambda p: p.name)
def test_note_is_well_formed(path):
    assert re.fullmatch(r'[a-z0-9-]+-[0-9a-f]{16}\.yaml', path.name), (
        'name notes with: reno new SLUG')
    text = path.read_text()
    assert 'Replace this text' not in text and TEMPLATE not in text, (
        "reno's template text is still in %s" % path.name)
    note = yaml.safe_load(text)
    assert isinstance(note, dict) and note, path.name
    assert set(note) <= SECTIONS, set(note) - SECTIONS
    for section, body in note.items():
        if section == 'prelude':
            assert isinstance(body, str) and body.strip()
        else:
            assert isinstance(body, list) and body, section
            assert all(isinstance(item, str) and item.strip()
                       for item in body), section
