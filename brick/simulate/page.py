# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The report as one self-contained HTML page.

No script and no external resource: the figures are PNGs embedded as
``data:`` URLs and the style is inline, so the file can be mailed,
attached to a ticket or opened offline.  Every text from the inputs is
escaped.
"""

import base64
import html

from brick import units
from brick.simulate import figures
from brick.simulate import report as report_mod

STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left;
         vertical-align: top; font-size: 0.9em; }
th { background: #f0f0f0; }
img { max-width: 100%; display: block; margin: 1em 0; }
code { font-size: 0.85em; }
"""


def _table(columns, rows):
    head = ''.join('<th>%s</th>' % html.escape(str(c)) for c in columns)
    body = ''.join('<tr>%s</tr>' % ''.join(
        '<td>%s</td>' % html.escape(str(cell)) for cell in row)
        for row in rows)
    return '<table><tr>%s</tr>%s</table>' % (head, body)


def _image(name, data):
    return '<img alt="%s" src="data:image/png;base64,%s">' % (
        html.escape(name), base64.b64encode(data).decode('ascii'))


MAX_ROWS = 200
"""Stuck consumers listed per what-if (the JSON has them all)."""


def _what_ifs(config):
    parts = []
    for found in config['what_ifs']:
        every = found.get('failed', found.get('lost'))
        if not every:
            continue
        stuck = every[:MAX_ROWS]
        parts.append('<h4>%s: %s</h4>' % (html.escape(config['name']),
                                          html.escape(found['what_if'])))
        parts.append(_table(
            ('consumer', 'kind', 'volumes', 'blocked by', 'reason'),
            [(f['consumer'], f['kind'], ', '.join(
                '%s in %s (%s)' % (v['name'], v['pool'],
                                   units.human(v['size']))
                for v in f['volumes']), f['blocked_by'], f['reason'])
             for f in stuck]))
        if len(every) > len(stuck):
            parts.append('<p>... and %d more (see the JSON report).</p>'
                         % (len(every) - len(stuck)))
    return ''.join(parts)


def _reasons(config):
    rows = [(kind, r['blocked_by'], r['reason'], r['count'], r['example'])
            for kind, found in config['kinds'].items()
            for r in found['reasons']]
    if not rows:
        return ''
    return '<h4>%s</h4>%s' % (html.escape(config['name']), _table(
        ('kind', 'blocked by', 'reason', 'refusals', 'explanation'), rows))


def render(report: report_mod.Report, images: dict | None = None) -> str:
    """The page for *report* (a :class:`~brick.simulate.report.Report`).

    :param images: ``{name: PNG bytes}`` already drawn
        (:func:`brick.simulate.figures.render`); drawn if None.
    """
    data = report.as_dict()
    images = figures.render(data) if images is None else images
    site, load = data['site'], data['workload']
    columns, rows = report.table()
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        '<title>brick simulate</title><style>%s</style></head><body>'
        % STYLE,
        '<h1>brick simulate</h1>',
        '<p>Site <code>%s</code>: %d hosts, %d pools, %s. Workload '
        '<code>%s</code>: %s of simulated time, seed %d.</p>' % (
            html.escape(site['source']), site['hosts'], site['pools'],
            units.human(site['capacity']), html.escape(load['source']),
            html.escape(_duration(load['duration'])), data['seed']),
        '<h2>Side by side</h2>', _table(columns, rows),
        '<h2>Acceptance</h2>', _image('acceptance', images[
            'acceptance.png']),
        '<h2>Utilization by rack</h2>']
    for config in data['configurations']:
        name = 'heatmap-%s.png' % config['name']
        parts.append(_image(name, images[name]))
    parts += ['<h2>Stranded capacity</h2>',
              _image('stranded', images['stranded.png']),
              '<h2>Why requests were refused</h2>']
    parts += [_reasons(config) for config in data['configurations']]
    if data['what_ifs']:
        parts.append('<h2>What could not move</h2>')
        parts += [_what_ifs(config) for config in data['configurations']]
    parts.append('</body></html>\n')
    return ''.join(parts)


def _duration(seconds):
    for size, name in ((86400, 'days'), (3600, 'hours'), (60, 'minutes')):
        if seconds >= size:
            return '%g %s' % (round(seconds / size, 2), name)
    return '%g seconds' % seconds
