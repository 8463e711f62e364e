# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""A trace: real requests with their times, as a CSV file.

::

    time,kind,type,consumer,size,end,flavor,hints,args
    2026-03-02T08:00:00,web,boot,vm-1,,2026-03-04T10:00:00,brick:local_gb=40,,
    2026-03-02T08:00:07,db,volume,vol-9,200G,,,,local_to_instance=vm-1;driver=lvm
    130.5,web,boot,vm-2,,,brick:local_gb=40;brick:locality=rack,,

Only ``time`` is required: seconds, or an ISO 8601 timestamp (the first
row is time 0); rows must be in time order.  ``kind`` labels the report
(default: ``type``); ``type`` is ``boot`` (default) or ``volume``;
``consumer`` defaults to ``trace-<line>``; ``size`` is the ``size``
argument; ``end`` is when the consumer was deleted (same format as
``time``; empty: never).  ``flavor``, ``hints`` and ``args`` are
``key=value`` pairs separated by ``;`` (a list value separates its items
with ``,``).  Every row's request is built when the file is read, so a
bad row is an error naming its line and field.
"""

import csv
import datetime
from collections.abc import Iterator

from brick import exception
from brick import names
from brick.simulate import adapter
from brick.simulate import distribution
from brick.simulate import document
from brick.simulate import workload as workload_mod

COLUMNS = ('time', 'kind', 'type', 'consumer', 'size', 'end', 'flavor',
           'hints', 'args')
TYPES = ('boot', 'volume')


def load(path: str, sample_every: float | None = None,
         build_time: float | None = None) -> 'Trace':
    """Read the trace at *path* into a
    :class:`~brick.simulate.workload.Workload` whose arrivals are its
    rows.

    :raises brick.exception.InvalidInput: naming the line and field.
    """
    try:
        with open(path, encoding='utf-8', newline='') as stream:
            return parse(stream.read(), str(path), sample_every, build_time)
    except (OSError, UnicodeDecodeError) as err:
        raise exception.InvalidInput(reason='cannot read trace %s: %s' % (
            path, err)) from err


def parse(text: str, source: str = '<string>',
          sample_every: float | None = None,
          build_time: float | None = None) -> 'Trace':
    """Parse CSV *text*; see :func:`load`."""
    reader = csv.DictReader(text.splitlines())
    header = reader.fieldnames or []
    where = document.Where(source, line=1)
    if 'time' not in header:
        raise where.error(','.join(header), 'a header line naming at '
                          'least time; columns: %s' % ', '.join(COLUMNS))
    for column in header:
        if column not in COLUMNS:
            raise document.Where(source, 'header', 1).error(
                column, ', '.join(COLUMNS))
    rows, start, last, kinds = [], None, None, {}
    for row in reader:
        line = reader.line_num
        at = document.Where(source, line=line)
        when = _time(row['time'], at, 'time')
        if start is None:
            start = when
        if last is not None and when < last[0]:
            raise exception.InvalidValue(
                field='%s line %d, field time' % (source, line),
                value=row['time'], allowed='a time at or after line %d\'s '
                '%s: the trace must be in time order' % (last[1],
                                                         last[2]))
        last = (when, line, row['time'])
        rows.append((line, row, when - start, start))
    arrivals, stats = [], {}
    for line, row, offset, first in rows:
        arrival, size = _arrival(line, row, offset, first, source)
        arrivals.append(arrival)
        stats.setdefault(arrival.kind, []).append((arrival, size))
    for name, found in stats.items():
        kinds[name] = _kind(name, found)
    if build_time is None:
        build_time = workload_mod.DEFAULT_BUILD_TIME
    # Long enough for the last request to commit.
    duration = max((a.time for a in arrivals), default=0.0) + \
        build_time + 1.0
    return Trace(source, duration, tuple(kinds.values()),
                 sample_every or duration / workload_mod.SAMPLES,
                 build_time, None, tuple(arrivals))


class Trace(workload_mod.Workload):
    """A workload whose arrivals are a trace's rows."""

    def __init__(self, source: str, duration: float, kinds: tuple,
                 sample_every: float, build_time: float,
                 seed: int | None, rows: tuple) -> None:
        super().__init__(source, duration, kinds, sample_every, build_time,
                         seed)
        object.__setattr__(self, 'rows', rows)

    def arrivals(self, seed: int) -> Iterator:
        return iter(self.rows)


def _time(value, where, field):
    text = (value or '').strip()
    at = document.Where(where.source, field, where.line)
    if not text:
        raise at.error(value, 'seconds or an ISO 8601 timestamp')
    try:
        seconds = float(text)
    except ValueError:
        seconds = None
    if seconds is not None:
        return distribution.duration(seconds, at)
    try:
        stamp = datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))
    except ValueError:
        raise at.error(value, 'seconds or an ISO 8601 timestamp such as '
                       '2026-03-02T08:00:00') from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=datetime.UTC)
    return stamp.timestamp()


def _pairs(value, where):
    found = {}
    for item in (value or '').split(';'):
        item = item.strip()
        if not item:
            continue
        key, sep, raw = item.partition('=')
        if not sep or not key.strip():
            raise where.error(item, 'key=value pairs separated by ;')
        raw = raw.strip()
        found[key.strip()] = raw.split(',') if ',' in raw else raw
    return found


def _arrival(line, row, offset, first, source):
    def at(field):
        return document.Where(source, field, line)
    kind_type = (row.get('type') or 'boot').strip()
    if kind_type not in TYPES:
        raise at('type').error(kind_type, ', '.join(TYPES))
    kind = (row.get('kind') or '').strip() or kind_type
    consumer = (row.get('consumer') or '').strip() or 'trace-%d' % line
    for field, value in (('kind', kind), ('consumer', consumer)):
        try:
            names.validate(value, field)
        except exception.InvalidInput as err:
            raise at(field).wrap(err) from err
    request = {part: _pairs(row.get(part), at(part))
               for part in ('flavor', 'hints', 'args')}
    if (row.get('size') or '').strip():
        request['args']['size'] = distribution.size(row['size'].strip(),
                                                    at('size'))
    request = adapter.stored_request(kind_type, request)
    try:
        spec = adapter.build_spec(request, consumer)
    except exception.BrickException as err:
        field = next((part for part in ('flavor', 'hints', 'args')
                      if any(k in str(err) for k in request[part])),
                     'args' if request['args'] else 'flavor')
        raise at(field).wrap(err) from err
    if not adapter.volume_count(spec):
        raise at('size').error(row.get('size'), 'a request with local '
                               'storage: a size, brick:local_gb or args '
                               'size above 0')
    lifetime = None
    if (row.get('end') or '').strip():
        end = _time(row['end'], document.Where(source, line=line), 'end')
        lifetime = end - first - offset
        if lifetime < 0:
            raise at('end').error(row['end'], 'a time at or after the '
                                  'row\'s time')
    return workload_mod.Arrival(offset, kind, kind_type, consumer, request,
                                lifetime, line), adapter.first_size(spec)


def _kind(name, found):
    """A kind summing up the trace's rows of that kind."""
    sizes = sorted(size for _arrival, size in found)
    arrivals = [arrival for arrival, _size in found]
    span = max(a.time for a in arrivals) or 1.0
    boots = sum(a.type == 'boot' for a in arrivals)
    return workload_mod.Kind(name, arrivals[0].request, len(arrivals) / span,
                             None, None, boots / len(arrivals),
                             sizes[len(sizes) // 2])
