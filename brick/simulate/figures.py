# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""A report's pictures, as PNG bytes (matplotlib).

* ``acceptance.png``: cumulative acceptance over time, one line per
  configuration (thin, in the same colour, one line style per kind);
* ``heatmap-<configuration>.png``: utilization by rack over time;
* ``stranded.png``: free space per pool at the end, per configuration,
  in bins up to the largest kind's median (everything left of a kind's
  median line is stranded for that kind).

Figures are drawn with matplotlib's object API on the Agg canvas (no
pyplot, no global state) and written without a ``Software`` stamp, so
the same report gives the same bytes with the same matplotlib.
"""

import io

from brick import units

DPI = 80
_STYLES = ('--', ':', '-.', (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)))
"""Line styles telling the kinds apart; colours tell configurations."""
_TIME_UNITS = ((86400, 'days'), (3600, 'hours'), (60, 'minutes'),
               (1, 'seconds'))


def _figure(width, height):
    from matplotlib import figure
    from matplotlib.backends import backend_agg

    fig = figure.Figure(figsize=(width, height), dpi=DPI)
    backend_agg.FigureCanvasAgg(fig)
    return fig


def _png(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format='png', metadata={'Software': None})
    return buffer.getvalue()


def _time_axis(times):
    span = max(times, default=0)
    for size, name in _TIME_UNITS:
        if span >= 2 * size:
            return [t / size for t in times], name
    return list(times), 'seconds'


def acceptance(data: dict) -> bytes:
    """Cumulative acceptance per configuration over time."""
    fig = _figure(8, 4)
    axes = fig.add_subplot()
    for index, config in enumerate(data['configurations']):
        times, unit = _time_axis(config['times'])
        color = 'C%d' % index
        curve = config['acceptance']['overall']
        axes.plot(times, [None if v is None else 100 * v for v in curve],
                  color=color, linewidth=2, label=config['name'])
        by_kind = sorted(config['acceptance']['by_kind'].items())
        for number, (kind, values) in enumerate(by_kind):
            if len(by_kind) > 1:
                axes.plot(times, [None if v is None else 100 * v
                                  for v in values], color=color,
                          linewidth=0.9,
                          linestyle=_STYLES[number % len(_STYLES)],
                          label='%s: %s' % (config['name'], kind))
    axes.set_xlabel('simulated time (%s)' % unit if data[
        'configurations'] else 'time')
    axes.set_ylabel('requests placed so far (%)')
    axes.set_ylim(0, 102)
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize='small', loc='lower left')
    axes.set_title('Acceptance over time')
    fig.tight_layout()
    return _png(fig)


def heatmap(config: dict) -> bytes:
    """Utilization by rack over time for one configuration."""
    racks = config['utilization']['rack']
    names = sorted(racks)
    rows = [[0.0 if v is None else 100 * v for v in racks[name]]
            for name in names] or [[0.0]]
    times, unit = _time_axis(config['times'])
    fig = _figure(8, max(2.5, min(12, 1.2 + 0.18 * len(names))))
    axes = fig.add_subplot()
    extent = (times[0] if times else 0, times[-1] if times else 1,
              len(names) - 0.5 if names else 0.5, -0.5)
    image = axes.imshow(rows, aspect='auto', interpolation='nearest',
                        cmap='viridis', vmin=0, vmax=100, extent=extent)
    step = max(1, len(names) // 40)
    axes.set_yticks(range(0, len(names), step))
    axes.set_yticklabels(names[::step], fontsize='x-small')
    axes.set_xlabel('simulated time (%s)' % unit)
    axes.set_ylabel('rack')
    axes.set_title('Utilization by rack: %s' % config['name'])
    fig.colorbar(image, ax=axes, label='used (%)')
    fig.tight_layout()
    return _png(fig)


def stranded(data: dict) -> bytes:
    """Free space per pool at the end, per configuration."""
    fig = _figure(8, 4)
    axes = fig.add_subplot()
    configs = data['configurations']
    width = 0.8 / max(1, len(configs))
    edges = []
    for index, config in enumerate(configs):
        found = config['stranded']['histogram']
        edges = found['edges']
        positions = [i + index * width for i in range(len(found['pools']))]
        axes.bar(positions, found['pools'], width=width, align='edge',
                 color='C%d' % index, label=config['name'])
    labels = ['< %s' % units.human(edge) for edge in edges[1:]] + [
        '>= %s' % units.human(edges[-1])] if edges else []
    axes.set_xticks([i + 0.4 for i in range(len(labels))])
    axes.set_xticklabels(labels, rotation=60, ha='right',
                         fontsize='x-small')
    if configs and edges:
        step = edges[1] or 1
        medians = configs[0]['kinds']
        for number, (kind, found) in enumerate(sorted(medians.items())):
            axes.axvline(found['median_size'] / step, color='grey',
                         linestyle=':', linewidth=1)
            axes.annotate('median %s' % kind,
                          (found['median_size'] / step, 1),
                          xycoords=('data', 'axes fraction'),
                          xytext=(2, -12 - 10 * number),
                          textcoords='offset points', fontsize='x-small',
                          color='grey')
    axes.set_ylabel('pools')
    axes.set_xlabel('free space in the pool at the end')
    axes.set_title('Stranded capacity: pools by free space')
    axes.legend(fontsize='small')
    fig.tight_layout()
    return _png(fig)


def render(data: dict) -> dict:
    """Every figure of a report's data (:meth:`Report.as_dict`):
    ``{file name: PNG bytes}``, in a stable order."""
    found = {'acceptance.png': acceptance(data)}
    for config in data['configurations']:
        found['heatmap-%s.png' % config['name']] = heatmap(config)
    found['stranded.png'] = stranded(data)
    return found
