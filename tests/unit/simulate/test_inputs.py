# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Bad workloads, traces, configurations and what-ifs get brick errors
that name the file, the line and the field."""

import pytest

from brick import exception
from brick import units
from brick.simulate import configuration
from brick.simulate import trace
from brick.simulate import whatif
from brick.simulate import workload
from tests.unit.simulate import data


def error(call, *args, **kwargs):
    with pytest.raises(exception.InvalidInput) as found:
        call(*args, **kwargs)
    return str(found.value)


def test_the_shared_workload_loads():
    loaded = workload.parse(data.WORKLOAD, 'w.yaml')
    assert loaded.kind_names == ['web', 'db', 'scratch']
    assert loaded.medians == {'web': 40 * units.Gi, 'db': 200 * units.Gi,
                              'scratch': 20 * units.Gi}
    assert loaded.sample_every == 7200
    db = loaded.kinds[1]
    assert (db.boot, db.rate) == (0.7, 2 / 3600)


def test_unknown_extra_spec_names_line_and_field():
    text = data.WORKLOAD.replace('"brick:local_gb": "40"',
                                 '"brick:local_gb": "40", "brick:speed": "x"')
    message = error(workload.parse, text, 'w.yaml')
    assert message.startswith('Invalid input: w.yaml line 5, field '
                              'kinds[0].flavor: ')
    assert 'brick:speed' in message


def test_bad_explicit_argument_names_args():
    text = data.WORKLOAD.replace('tags: ssd}', 'tags: ssd, colour: red}')
    message = error(workload.parse, text, 'w.yaml')
    assert 'w.yaml line 9, field kinds[1].args' in message
    assert 'colour' in message


@pytest.mark.parametrize('rate', ['-2/h', '3/fortnight', 'many', 'true'])
def test_negative_or_bad_rate(rate):
    text = data.WORKLOAD.replace('rate: 10/h', 'rate: %s' % rate)
    message = error(workload.parse, text, 'w.yaml')
    assert 'w.yaml line 6, field kinds[0].rate' in message
    assert 'N/h' in message


@pytest.mark.parametrize('old, new, line, field', [
    ('duration: 2d', 'duration: -1d', 1, 'duration'),
    ('sample_every: 2h', 'sample_every: 0s', 2, 'sample_every'),
    ('boot: 0.7', 'boot: 1.5', 11, 'kinds[1].boot'),
    ('sigma: 0.5', 'sigma: -3', 10, 'kinds[1].size.lognormal.sigma'),
    ('lifetime: 3d', 'lifetime: {exponential: soon}', 13,
     'kinds[1].lifetime.exponential'),
    ('{20G: 3, 100G: 1}', '{20G: 3, 100Q: 1}', 16,
     'kinds[2].size.choice.100Q'),
    ('  - name: scratch', '  - name: scratch\n    colour: blue', 15,
     'kinds[2].colour'),
    ('  - name: scratch', '  - name: web', 14, 'kinds[2]'),
])
def test_bad_values_name_line_and_field(old, new, line, field):
    message = error(workload.parse, data.WORKLOAD.replace(old, new),
                    'w.yaml')
    assert 'w.yaml line %d, field %s' % (line, field) in message, message


def test_not_yaml_names_the_line():
    message = error(workload.parse, 'duration: 1d\nkinds: [\n', 'w.yaml')
    assert message.startswith('Invalid input: w.yaml line 3: not valid')


def test_a_request_without_storage_is_refused():
    text = data.WORKLOAD.replace('"brick:local_gb": "40"',
                                 '"brick:local_gb": "0"')
    assert 'local storage' in error(workload.parse, text, 'w.yaml')


TRACE = """\
time,kind,type,consumer,size,end,flavor,hints,args
0,web,boot,vm1,,100,brick:local_gb=10,,
10,web,boot,vm2,,,brick:local_gb=10;brick:locality=rack,,
25,data,volume,vol1,20G,,,,local_to_instance=vm1;driver=lvm
"""


def test_a_trace_loads():
    loaded = trace.parse(TRACE, 't.csv')
    rows = list(loaded.arrivals(0))
    assert [(a.time, a.consumer, a.type, a.lifetime) for a in rows] == [
        (0.0, 'vm1', 'boot', 100.0), (10.0, 'vm2', 'boot', None),
        (25.0, 'vol1', 'volume', None)]
    assert rows[2].request['args'] == {
        'local_to_instance': 'vm1', 'driver': 'lvm', 'size': 20 * units.Gi}
    assert loaded.kind_names == ['web', 'data']
    assert loaded.medians['data'] == 20 * units.Gi


def test_iso_timestamps_start_at_zero():
    text = ('time,flavor\n2026-03-02T08:00:00Z,brick:local_gb=10\n'
            '2026-03-02T08:01:30,brick:local_gb=10\n')
    assert [a.time for a in trace.parse(text).arrivals(0)] == [0.0, 90.0]


def test_trace_out_of_order_names_line_and_field():
    text = TRACE.replace('25,data', '5,data')
    message = error(trace.parse, text, 't.csv')
    assert message == ("Invalid t.csv line 4, field time '5'; allowed: a "
                       "time at or after line 3's 10: the trace must be in "
                       "time order.")


@pytest.mark.parametrize('old, new, field', [
    ('10,web,boot,vm2', 'soon,web,boot,vm2', 'time'),
    ('10,web,boot,vm2', '10,web,reboot,vm2', 'type'),
    ('brick:local_gb=10;brick:locality=rack',
     'brick:local_gb=10;brick:locality=planet', 'flavor'),
    ('brick:local_gb=10;brick:locality=rack', 'brick:local_gb', 'flavor'),
    ('20G,,', '20Q,,', 'size'),
    ('0,web,boot,vm1,,100', '0,web,boot,vm1,,-5', 'end'),
    ('driver=lvm', 'driver=lvm;speed=fast', 'args'),
])
def test_bad_trace_rows_name_line_and_field(old, new, field):
    message = error(trace.parse, TRACE.replace(old, new), 't.csv')
    line = next(n for n, text in enumerate(TRACE.splitlines(), 1)
                if old in text)
    assert 't.csv line %d, field %s' % (line, field) in message, message


def test_trace_needs_a_time_column():
    assert 'time' in error(trace.parse, 'when,kind\n1,a\n', 't.csv')
    assert 'field header' in error(trace.parse, 'time,colour\n1,a\n',
                                   't.csv')


def test_configurations():
    found = configuration.parse_data(*_yaml("""
configurations:
  - name: today
  - name: pack
    capacity_weight_multiplier: -1
    reserve_count: 1
    enabled_filters: [state, driver, capacity]
"""))
    assert [c.name for c in found] == ['today', 'pack']
    base = configuration.Base()
    values = base.values(found[1], 3)
    assert values['capacity_weight_multiplier'] == -1.0
    assert values['enabled_filters'] == ['state', 'driver', 'capacity']
    assert values['reserve_count'] == 1
    assert base.values(found[0], 3)['reserve_count'] == 2
    assert values['weigher_precedence'] == {'cost': 1, 'locality': 2}
    option = configuration.parse_option(
        'flat:weigher_precedence=locality:0,cost:0;'
        'cost_weight_multiplier=2.5')
    assert option.options == {'weigher_precedence': 'locality:0,cost:0',
                              'cost_weight_multiplier': '2.5'}
    values = base.values(option, 0)
    assert values['weigher_precedence'] == {'cost': 0, 'locality': 0}
    assert values['cost_weight_multiplier'] == 2.5
    # Gone from the scheduler: not a configuration's option.
    assert 'max_considered' not in values


@pytest.mark.parametrize('text, expected', [
    ('- {name: a, colour: 1}', 'line 1, field [0].colour'),
    ('- {name: a, max_results: 0}', 'line 1, field [0].max_results'),
    ('- {name: a, max_considered: 0}', 'line 1, field [0].max_considered'),
    ('- {name: a, weigher_precedence: {cost: first}}',
     "line 1, field [0].weigher_precedence: Invalid [brick_scheduler]"
     "weigher_precedence cost 'first'"),
    ('- {name: a, reserve_count: 0}', 'line 1, field [0].reserve_count'),
    ('- {name: a}\n- {name: a}', 'each configuration name once'),
    ('- {name: a, enabled_filters: [nope]}',
     "line 1, field [0].enabled_filters: Invalid filter name 'nope'"),
])
def test_bad_configurations(text, expected):
    assert expected in error(configuration.parse_data, *_yaml(text))


def test_what_ifs():
    assert whatif.parse('drain', 'rack:r2') == whatif.WhatIf(
        'drain', 'rack', 'r2')
    assert whatif.parse('fail', 'host:h3@6h').time == 21600
    assert whatif.parse('add', '10:h1@1d') == whatif.WhatIf(
        'add', 'host', 'h1', 10, 86400)
    for action, text in (('drain', 'r2'), ('drain', 'row:r2'),
                         ('add', 'ten:h1'), ('add', '0:h1'),
                         ('fail', 'host:h3@-1h')):
        assert '--%s' % action in error(whatif.parse, action, text)
    places = {'h1': ('z1', 'r1', 'enabled')}
    with pytest.raises(exception.NotFound, match="rack 'r9'"):
        whatif.check(whatif.parse('drain', 'rack:r9'), places, 100)
    with pytest.raises(exception.InvalidValue, match='duration'):
        whatif.check(whatif.parse('drain', 'host:h1@1d'), places, 100)


def _yaml(text):
    from brick.simulate import document
    return document.parse_yaml(text, 'c.yaml')
