# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``brick simulate`` from the command line."""

import importlib.util
import json

from brick import simulate
from brick.simulate import configuration
from brick.simulate import whatif
from tests.unit.cmd import run
from tests.unit.simulate import data


def _files(tmp_path):
    site = tmp_path / 'site.yaml'
    site.write_text(data.SITE)
    load = tmp_path / 'workload.yaml'
    load.write_text(data.WORKLOAD)
    return str(site), str(load)


def test_table_json_html_and_pngs(capsys, tmp_path):
    site, load = _files(tmp_path)
    args = ['simulate', '--inventory', site, '--workload', load,
            '--compare', 'pack:capacity_weight_multiplier=-1;reserve_count=1',
            '--drain', 'rack:r1@1d', '--seed', '4', '--no-progress']
    table = run(capsys, *args, '--html', str(tmp_path / 'r.html'),
                '--png-dir', str(tmp_path / 'png'))
    assert table.code == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ['kind', 'measure', 'configured', 'pack']
    assert any(line.startswith('what-if  drain rack:r1') for line in lines)
    assert sorted(p.name for p in (tmp_path / 'png').iterdir()) == [
        'acceptance.png', 'heatmap-configured.png', 'heatmap-pack.png',
        'stranded.png']
    page = (tmp_path / 'r.html').read_text()
    assert page.startswith('<!DOCTYPE html>') and '<script' not in page
    found = run(capsys, *args, '-f', 'json')
    # The command and the Python entry point give the same report.
    report = simulate.run(
        simulate.site.from_file(site), simulate.workload.load(load),
        [configuration.Configuration('configured'),
         configuration.parse_option(
             'pack:capacity_weight_multiplier=-1;reserve_count=1')],
        [whatif.parse('drain', 'rack:r1@1d')], seed=4)
    assert found.stdout == report.to_json()
    assert json.loads(found.stdout)['seed'] == 4


def test_trace_and_progress_and_output_file(capsys, tmp_path):
    site, _ = _files(tmp_path)
    trace = tmp_path / 'trace.csv'
    trace.write_text('time,flavor\n' + ''.join(
        '%d,brick:local_gb=30\n' % (10 * i) for i in range(450)))
    out = tmp_path / 'out.json'
    done = run(capsys, 'simulate', '--inventory', site, '--trace',
               str(trace), '--progress', '-f', 'json', '-o', str(out))
    assert done.code == 0, done.stderr
    assert done.stdout == ''
    assert 'simulating [' in done.stderr and '100.0%' in done.stderr
    kinds = json.loads(out.read_text())['configurations'][0]['kinds']
    assert kinds['boot']['requests'] == 450


def test_errors_name_the_input(capsys, tmp_path):
    site, load = _files(tmp_path)
    bad = tmp_path / 'bad.yaml'
    bad.write_text(data.WORKLOAD.replace('rate: 10/h', 'rate: -1/h'))
    done = run(capsys, 'simulate', '--inventory', site, '--workload',
               str(bad))
    assert done.code == 2
    assert done.stderr.startswith('brick: Invalid %s line 6, field '
                                  'kinds[0].rate' % bad)
    done = run(capsys, 'simulate', '--inventory', site, '--workload', load,
               '--fail', 'zone:z9')
    assert (done.code, done.stderr) == (
        3, "brick: Not found: zone 'z9' (--fail): the site has no such "
           "zone.\n")
    done = run(capsys, 'simulate', '--inventory', site, '--workload', load,
               '--compare', 'x:speed=11')
    assert done.code == 2 and "'speed'" in done.stderr
    bad.write_text(data.WORKLOAD.replace('locality: any',
                                         'availability_zone: z9'))
    done = run(capsys, 'simulate', '--inventory', site, '--workload',
               str(bad))
    assert done.code == 2
    assert done.stderr.startswith(
        "brick: Invalid input: %s, kind scratch: Not found: availability "
        "zone 'z9': no host of the inventory is in it; zones: z1" % bad), \
        done.stderr


def test_live_inventory_by_default(capsys, tmp_path):
    site, load = _files(tmp_path)
    url = 'sqlite:///%s' % (tmp_path / 'inv.sqlite')
    assert run(capsys, 'inventory', 'apply', '-f', site, '--connection',
               url).code == 0
    live = run(capsys, 'simulate', '--workload', load, '--connection', url,
               '-f', 'json', '--seed', '1').json()
    from_file = run(capsys, 'simulate', '--workload', load, '--inventory',
                    site, '-f', 'json', '--seed', '1').json()
    assert live['site']['source'].startswith('database sqlite:///')
    assert live['configurations'] == from_file['configurations']


def test_missing_extra_is_a_clear_error(capsys, tmp_path, monkeypatch):
    site, load = _files(tmp_path)
    real = importlib.util.find_spec

    def find_spec(name, *args):
        return None if name == 'matplotlib' else real(name, *args)
    monkeypatch.setattr(importlib.util, 'find_spec', find_spec)
    done = run(capsys, 'simulate', '--inventory', site, '--workload', load,
               '--html', str(tmp_path / 'r.html'))
    assert done.code == 2
    assert done.stderr == (
        'brick: brick simulate --html/--png-dir needs the Python package '
        "matplotlib, which is not installed: pip install "
        "'brick[simulate]'.\n")
    assert not (tmp_path / 'r.html').exists()


def test_an_empty_live_inventory_is_refused(capsys, tmp_path):
    _site, load = _files(tmp_path)
    url = 'sqlite:///%s' % (tmp_path / 'empty.sqlite')
    done = run(capsys, 'simulate', '--workload', load, '--connection', url)
    assert done.code == 2
    assert 'has no pool to simulate on' in done.stderr
