# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""A simulation's results: plain data, JSON and a side-by-side table.

:meth:`Report.as_dict` is the whole result, every configuration side by
side; :meth:`Report.to_json` writes it with sorted keys and floats
rounded to 6 decimals, so that the same inputs and seed give the same
bytes.  Nothing in it depends on the wall clock.
"""

import dataclasses
import json

from brick import units

FORMAT = 1
"""Version of the JSON layout."""


@dataclasses.dataclass
class Result:
    """One configuration's run."""

    name: str
    settings: dict
    """``[brick_scheduler]`` options and ``reserve_count`` as used."""
    recorder: object
    """The run's :class:`~brick.simulate.metrics.Recorder`."""
    what_ifs: list
    histogram: dict
    keys: list
    """Pool keys, in the recorder's order."""

    def as_dict(self) -> dict:
        rec = self.recorder
        kinds = rec.kinds_result()
        requests = sum(k['requests'] for k in kinds.values())
        accepted = sum(k['accepted'] for k in kinds.values())
        refused = sum(k['refused'] for k in kinds.values())
        return {
            'name': self.name,
            'settings': self.settings,
            'totals': {'requests': requests, 'accepted': accepted,
                       'refused': refused,
                       'acceptance': accepted / (accepted + refused)
                       if accepted + refused else None},
            'kinds': kinds,
            'times': rec.times,
            'acceptance': rec.acceptance(),
            'utilization': rec.utilization,
            'stranded': {'by_kind': rec.stranded,
                         'histogram': self.histogram},
            'what_ifs': self.what_ifs,
        }


@dataclasses.dataclass
class Report:
    site: dict
    workload: dict
    seed: int
    what_ifs: list
    results: list
    """:class:`Result` per configuration, in the order given."""

    @property
    def names(self) -> list:
        return [result.name for result in self.results]

    def as_dict(self) -> dict:
        return clean({'format': FORMAT, 'seed': self.seed,
                      'site': self.site, 'workload': self.workload,
                      'what_ifs': self.what_ifs,
                      'configurations': [r.as_dict() for r in
                                         self.results]})

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), sort_keys=True, indent=1) + '\n'

    def table(self) -> tuple:
        """``(columns, rows)``: one row per kind and measure, one column
        per configuration."""
        data = [r.as_dict() for r in self.results]
        rows = []
        for kind in data[0]['kinds'] if data else ():
            for label, show in _MEASURES:
                rows.append([kind, label] + [show(d['kinds'][kind])
                                              for d in data])
        rows.append(['all', 'acceptance'] + [_ratio(d['totals'][
            'acceptance']) for d in data])
        for index, label in enumerate(self.what_ifs):
            rows.append(['what-if', label] + [_outcome(d['what_ifs'][index])
                                              for d in data])
        return ['kind', 'measure'] + self.names, rows


def clean(value: object) -> object:
    """Plain JSON data: floats rounded to 6 decimals, tuples as lists,
    keys as strings."""
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


def _ratio(value):
    return '-' if value is None else '%.1f %%' % (100 * value)


def _time(seconds):
    if seconds is None:
        return 'never'
    for unit, size in (('d', 86400), ('h', 3600), ('m', 60)):
        if seconds >= size:
            return '%.1f %s' % (seconds / size, unit)
    return '%.0f s' % seconds


def _tiers(kind):
    return ' / '.join(str(kind['locality'][t]) for t in
                      ('host', 'rack', 'zone', 'any'))


def _reason(kind):
    if not kind['reasons']:
        return '-'
    top = kind['reasons'][0]
    return '%s: %s (%d)' % (top['blocked_by'], top['reason'], top['count'])


def _outcome(found):
    if 'hosts' in found and 'consumers' not in found:
        return 'added %d hosts' % len(found['hosts'])
    failed = found.get('failed', found.get('lost', []))
    text = 'moved %d of %d' % (found['moved'], found['consumers'])
    if failed:
        blockers = sorted({f['blocked_by'] for f in failed})
        text += ', %d %s (%s)' % (len(failed), 'stuck' if 'failed' in found
                                  else 'lost', ', '.join(blockers))
    return text


_MEASURES = (
    ('requests', lambda k: str(k['requests'])),
    ('acceptance', lambda k: _ratio(k['acceptance'])),
    ('refused', lambda k: str(k['refused'])),
    ('first refusal', lambda k: _time(k['first_refusal'])),
    ('host/rack/zone/any', _tiers),
    ('cost per GiB', lambda k: '-' if k['cost_per_gib'] is None
     else '%.3f' % k['cost_per_gib']),
    ('stranded at end', lambda k: units.human(k['stranded_end'])),
    ('top refusal', _reason),
)
