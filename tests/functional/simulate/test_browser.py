# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The HTML report opens in a real headless browser (Debian's chromium
driven by Playwright) with no console error, every figure decoded."""

from playwright import sync_api

from brick import simulate
from brick.simulate import configuration
from brick.simulate import page
from brick.simulate import whatif
from tests.conftest import require_tool
from tests.unit.simulate import data

FLAGS = ['--headless', '--no-sandbox', '--disable-gpu',
         '--disable-background-networking', '--disable-component-update',
         '--disable-sync', '--no-first-run']


def test_report_opens_without_console_errors(tmp_path):
    chromium = require_tool('chromium')
    report = simulate.run(
        simulate.site.from_text(data.SITE, 'site.yaml'),
        simulate.workload.parse(data.WORKLOAD, 'workload.yaml'),
        [configuration.Configuration('today'),
         configuration.Configuration('pack', {
             'capacity_weight_multiplier': -1})],
        [whatif.parse('drain', 'rack:r1@1d')], seed=1)
    path = tmp_path / 'report.html'
    path.write_text(page.render(report))
    problems = []
    with sync_api.sync_playwright() as driver:
        # A persistent context is how Playwright takes --user-data-dir.
        context = driver.chromium.launch_persistent_context(
            str(tmp_path / 'profile'), executable_path=chromium,
            headless=True, args=FLAGS)
        try:
            tab = context.new_page()
            tab.on('console', lambda msg: problems.append(
                ('console', msg.type, msg.text)) if msg.type in (
                    'error', 'warning') else None)
            tab.on('pageerror', lambda err: problems.append(
                ('pageerror', str(err))))
            tab.on('requestfailed', lambda req: problems.append(
                ('request', req.url)))
            tab.goto(path.as_uri(), wait_until='load')
            images = tab.evaluate(
                '() => Array.from(document.images).map('
                'i => [i.alt, i.complete, i.naturalWidth])')
            title = tab.title()
            headings = tab.locator('h2').all_inner_texts()
        finally:
            context.close()
    assert problems == []
    assert title == 'brick simulate'
    assert [alt for alt, _c, _w in images] == [
        'acceptance', 'heatmap-today.png', 'heatmap-pack.png', 'stranded']
    assert all(done and width > 0 for _alt, done, width in images), images
    assert 'What could not move' in headings
