# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""What-if placement: a workload run on the real scheduler, in
simulated time, against an in-memory copy of an inventory.

::

    from brick import simulate
    report = simulate.run(simulate.site.from_file('site.yaml'),
                          simulate.workload.load('workload.yaml'),
                          [simulate.configuration.Configuration('today'),
                           simulate.configuration.Configuration(
                               'pack', {'capacity_weight_multiplier': -1})],
                          what_ifs=[simulate.whatif.parse('drain',
                                                          'rack:r2')],
                          seed=1)
    report.to_json()                    # byte-identical for a seed
    simulate.page.render(report)        # one self-contained page

* inputs: :mod:`~brick.simulate.site` (an inventory file or a live
  database), :mod:`~brick.simulate.workload` (kinds of requests) or
  :mod:`~brick.simulate.trace` (real requests, CSV),
  :mod:`~brick.simulate.configuration` (scheduler settings to compare)
  and :mod:`~brick.simulate.whatif` (drain, fail, add);
* the run: :mod:`~brick.simulate.engine` (SimPy), every call into the
  scheduler in :mod:`~brick.simulate.adapter`, measures in
  :mod:`~brick.simulate.metrics`;
* the output: :mod:`~brick.simulate.report` (JSON, table),
  :mod:`~brick.simulate.figures` (PNG) and :mod:`~brick.simulate.page`
  (HTML).

SimPy and matplotlib are the ``brick[simulate]`` extra; this package
imports SimPy when it runs and matplotlib when it draws.
"""

from collections.abc import Callable

from brick import exception
from brick.simulate import configuration
from brick.simulate import report as report_mod
from brick.simulate import site
from brick.simulate import trace
from brick.simulate import whatif
from brick.simulate import workload

__all__ = ['configuration', 'run', 'site', 'trace', 'whatif', 'workload']


def run(site_: 'site.Site', workload_: 'workload.Workload',
        configurations: list | None = None, what_ifs: tuple | list = (),
        seed: int | None = None,
        base: 'configuration.Base | None' = None,
        progress: Callable[[float], None] | None = None,
        decisions: dict | None = None) -> report_mod.Report:
    """Run *workload_* on *site_* once per configuration.

    :param site_: a :class:`~brick.simulate.site.Site`.
    :param workload_: a :class:`~brick.simulate.workload.Workload` (or a
        trace's).
    :param configurations: :class:`~brick.simulate.configuration.Configuration`
        objects; default one, ``default``, with the base settings.
    :param what_ifs: :class:`~brick.simulate.whatif.WhatIf` objects.
    :param seed: the random seed (default the workload's, else 0): the
        arrivals and the selector's random choices.
    :param base: a :class:`~brick.simulate.configuration.Base` (settings
        and reserve count the configurations change).
    :param progress: ``progress(percent)``, called as arrivals are
        handled.
    :param decisions: a dict to fill with ``{configuration name:
        [Decision per request]}``
        (:class:`~brick.simulate.engine.Decision`); None keeps none.
    :returns: a :class:`~brick.simulate.report.Report`.
    :raises brick.exception.InvalidInput: a bad configuration or
        what-if, a site without pools, or a kind of request naming an
        availability zone or rack the site does not have.
    :raises brick.exception.NotFound: a what-if names an unknown place.
    """
    from brick.simulate import engine

    if not site_.pools:
        raise exception.InvalidInput(
            reason='the inventory %s has no pool to simulate on; give an '
                   'inventory file, or apply one first' % site_.source)
    if seed is None:
        seed = workload_.seed if workload_.seed is not None else 0
    configurations = list(configurations or [
        configuration.Configuration('default')])
    base = base or configuration.Base()
    resolved = [base.resolve(config, seed) for config in configurations]
    places = site_.places
    for found in what_ifs:
        whatif.check(found, places, workload_.duration)
    arrivals = engine.arrivals_of(workload_, seed)
    total = max(1, len(arrivals) * len(configurations))
    done = [0]

    def tick() -> None:
        done[0] += 1
        if progress is not None and not done[0] % 200:
            progress(100.0 * done[0] / total)

    results = []
    for config, (settings, count) in zip(configurations, resolved,
                                         strict=True):
        log = None if decisions is None else decisions.setdefault(
            config.name, [])
        runner = engine.Run(site_, workload_, arrivals, settings, count,
                            what_ifs, tick, log)
        recorder = runner.run()
        capacities, used = runner.sched.usage()
        results.append(report_mod.Result(
            config.name, base.values(config, seed), recorder,
            runner.outcomes, recorder.histogram(capacities, used),
            list(runner.sched.keys)))
    if progress is not None:
        progress(100.0)
    return report_mod.Report(site_.summary(), workload_.describe(), seed,
                             [w.label for w in what_ifs], results)
