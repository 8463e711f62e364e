# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Run the ``device``-marked tests in the LVM device tier's QEMU guest.

This machine's kernel has no device-mapper, so tests that need activated
LVs run in a throwaway guest (``tools/guest/build`` and ``tools/guest/run``)
whose kernel has it. On such a host every collected ``device`` test is
replaced by a :class:`GuestItem` with the same node id, and the proxies move
to the end of the run. As the run starts, a background thread builds the
guest if needed and boots it once for the session, running ``pytest -m
device <all their node ids>`` inside with ``--guest-report``, which writes
each test's outcome as JSON lines to the shared directory; the host's own
tests run meanwhile. Each proxy waits for the guest, then reports its own
test's outcome from there: pass, fail with the guest's failure text, skip
with the guest's reason (an error under ``BRICK_TEST_STRICT=1``), or fail
with the console's tail when the guest never reported it.

Where the kernel has device-mapper (:data:`DEVICE_TIER`: inside the guest,
or on a host with dm-mod loaded) this plugin changes nothing and device
tests run for real.

For ten device tests or more the guest gets one TCG vCPU per host CPU (at
most 4) and runs its pytest with as many xdist workers: the host only
waits, and two workers take the LVM suite from ~620 s to ~400 s on 2
cores.

Options: ``--guest-results FILE`` reports from an earlier run's JSON lines
instead of booting; ``--guest-timeout SECONDS`` (default 1800, or
``BRICK_GUEST_TIMEOUT``); ``--guest-cpus N`` (or ``BRICK_GUEST_CPUS``).
Under pytest-xdist on the host (``tools/test`` runs the suite with it) the
workers share one guest run: the first to take a lock in the run's base
temporary directory boots it and holds the lock until the outcomes are
written; the others wait for the lock and report from the same files. A
worker that booted the guest waits for it at its end of session, since
another worker may still report from it; in a run without xdist, a guest
nobody waits for any more (``-x``, Ctrl-C) is stopped.
"""

import collections
import ctypes
import fcntl
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

# Not the existence of /dev/mapper/control: libdevmapper mknods that node
# on a kernel without device-mapper too (it is there on this host).
DEVICE_TIER = os.path.exists('/sys/class/misc/device-mapper')
"""True where the kernel has device-mapper: device tests run here."""
TOOLS = Path(__file__).resolve().parents[2] / 'tools' / 'guest'
UNAVAILABLE = 3  # tools/guest/build: a package is missing, cannot install
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_RUN = pytest.StashKey()
_SUMMARIES = pytest.StashKey()


def pytest_addoption(parser):
    group = parser.getgroup('brick device tier')
    group.addoption(
        '--guest-results', metavar='FILE',
        help='report device tests from this JSON-lines file of an earlier '
             'guest run instead of booting the guest.')
    group.addoption(
        '--guest-timeout', type=int, metavar='SECONDS',
        default=int(os.environ.get('BRICK_GUEST_TIMEOUT', '1800')),
        help='kill the device-tier guest after this many seconds '
             '(default 1800, or BRICK_GUEST_TIMEOUT).')
    group.addoption(
        '--guest-cpus', type=int, metavar='N',
        default=int(os.environ.get('BRICK_GUEST_CPUS', '0')),
        help='vCPUs of the device-tier guest, and pytest-xdist workers in '
             'it when more than one (default: the host\'s CPUs, at most 4, '
             'or BRICK_GUEST_CPUS).')
    group.addoption(
        '--guest-report', metavar='FILE',
        help='append each test outcome as a JSON line to FILE (the guest '
             'side of the device tier).')


def pytest_configure(config):
    report = config.getoption('--guest-report')
    # Under xdist the controller sees every worker's reports; write there.
    if report and not hasattr(config, 'workerinput'):
        config.pluginmanager.register(Reporter(report), 'brick-guest-report')


@pytest.hookimpl(trylast=True)  # after -m/-k deselection
def pytest_collection_modifyitems(session, config, items):
    results = config.getoption('--guest-results')
    # A run that writes a --guest-report is the guest's side: run for real.
    if config.getoption('--guest-report') or (DEVICE_TIER and not results):
        return
    device = [item for item in items if item.get_closest_marker('device')]
    if not device:
        return
    run = GuestRun(config, [item.nodeid for item in device], results)
    config.stash[_RUN] = run
    proxies = [GuestItem.from_parent(item.parent, name=item.name,
                                     original=item, run=run)
               for item in device]
    # Last: the host's tests run while the guest boots and works, and no
    # worker waits on the guest while host tests are still queued.
    host = [item for item in items if not item.get_closest_marker('device')]
    items[:] = host + proxies


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    run = session.config.stash.get(_RUN, None)
    if run is not None and not session.config.option.collectonly:
        run.start()


@pytest.hookimpl(tryfirst=True)  # before xdist sends workeroutput
def pytest_sessionfinish(session, exitstatus):
    run = session.config.stash.get(_RUN, None)
    if run is None:
        return
    # Another xdist worker may still report from our guest: let it finish
    # unless the run was interrupted.
    run.finish(wait=hasattr(session.config, 'workerinput')
               and exitstatus != pytest.ExitCode.INTERRUPTED)
    if hasattr(session.config, 'workeroutput') and run.summary:
        session.config.workeroutput['brick_guest_summary'] = run.summary


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    # pytest-xdist's controller: keep what a worker saw of the guest.
    summary = getattr(node, 'workeroutput', {}).get('brick_guest_summary')
    if summary:
        node.config.stash.setdefault(_SUMMARIES, set()).add(summary)


def pytest_terminal_summary(terminalreporter, config):
    run = config.stash.get(_RUN, None)
    summaries = set(config.stash.get(_SUMMARIES, ()))
    if run is not None and run.summary:
        summaries.add(run.summary)
    for summary in sorted(summaries):
        terminalreporter.write_line(summary)


class GuestFailure(Exception):
    """A device test failed in the guest, or the guest did not report it."""


class GuestItem(pytest.Item):
    """Stands for one device test; reports its outcome in the guest.

    It sets up none of the original's fixtures and carries none of its
    marks but ``device``: skipif and xfail are evaluated in the guest, where
    the test runs, not here.
    """

    def __init__(self, *, original, run, **kwargs):
        super().__init__(**kwargs)
        self._info = original.reportinfo()
        self.add_marker('device')
        self._run = run

    def reportinfo(self):
        return self._info

    def runtest(self):
        self._run.report(self.nodeid)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, GuestFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


class GuestRun:
    """One boot of the guest for all the session's device tests."""

    def __init__(self, config, nodeids, results=None):
        self.config = config
        self.nodeids = nodeids
        self.results = Path(results) if results else None
        self._replay = results is not None  # --guest-results: no boot
        self.summary = ''
        self.problem = None  # ('skip' | 'fail', text) for every test
        self.run_output = ''  # tools/guest/run's, when it did not end well
        self.console = None
        self._records = None
        self._thread = None
        self._error = None
        self._process = None  # tools/guest/build or run, while it runs
        self._stopping = False
        self._lock = threading.Lock()  # guards the two above

    def report(self, nodeid):
        """Raise what the guest's outcome for *nodeid* means here."""
        if self._records is None:
            self._load()
        if self.problem:
            kind, text = self.problem
            if kind == 'skip':
                _skip(text)
            raise GuestFailure(text)
        records = self._records.get(nodeid)
        if not records:
            raise GuestFailure(self._unreported(nodeid))
        failed = [r for r in records if r['outcome'] == 'failed']
        if failed:
            raise GuestFailure('\n\n'.join(
                '[in the guest, %s]\n%s' % (r['when'], r['text'])
                for r in failed))
        for record in records:
            if record['outcome'] == 'skipped':
                if record.get('wasxfail') is not None:
                    pytest.xfail(record['wasxfail'])
                _skip(record['text'])

    def _unreported(self, nodeid):
        lines = ['the device-tier guest did not report %s' % nodeid]
        if self.run_output:
            lines.append(self.run_output)
        for record in self._records.get('', []):
            lines.append('[in the guest, %s]\n%s'
                         % (record['when'], record['text']))
        if self.console and self.console.exists():
            tail = self.console.read_text(errors='replace').splitlines()
            lines.append('last lines of %s:' % self.console)
            lines.extend(tail[-60:])
        return '\n'.join(lines)

    def start(self):
        """Build and boot the guest in a background thread (once)."""
        if self._replay or self._thread is not None:
            return
        out = self._out_dir()  # here: the thread must not race for it
        self._thread = threading.Thread(target=self._boot_in_background,
                                        args=(out,), name='brick-guest',
                                        daemon=True)
        self._thread.start()

    def _boot_in_background(self, out):
        try:
            self._boot_once(out)
        except BaseException as err:  # re-raised where a proxy reports
            self._error = err

    def finish(self, wait):
        """At the end of the session: wait for the guest, or stop it."""
        if self._thread is None or not self._thread.is_alive():
            return
        if not wait:
            with self._lock:
                self._stopping = True
                process = self._process
                if process is not None and process.poll() is None:
                    # The script's trap stops qemu; the thread then
                    # records how the run ended, so that no other worker
                    # boots it again.
                    os.killpg(process.pid, signal.SIGTERM)
        self._thread.join()

    def _load(self):
        if self._thread is not None:
            self._thread.join()
            if self._error is not None:
                raise self._error
        elif not self._replay:
            self._boot_once(self._out_dir())
        self._records = collections.defaultdict(list)
        if self.results.exists():
            for line in self.results.read_text().splitlines():
                record = json.loads(line)
                # Collection errors have no test: '' keys them for the
                # "did not report" message.
                key = '' if record['when'] == 'collect' else record['nodeid']
                self._records[key].append(record)

    def _out_dir(self):
        factory = getattr(self.config, '_tmp_path_factory', None)
        if factory is None:
            return Path(tempfile.mkdtemp(prefix='brick-guest-'))
        base = factory.getbasetemp()
        if os.environ.get('PYTEST_XDIST_WORKER'):
            base = base.parent  # the controller's: shared by all workers
        return base / 'brick-guest'

    def _boot_once(self, out):
        out.mkdir(parents=True, exist_ok=True)
        self.results = out / 'results.jsonl'
        self.console = out / 'guest-console.log'
        state = out / 'state.json'
        with open(out / 'lock', 'w') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not state.exists():
                state.write_text(json.dumps(self._build_and_boot(out)))
        done = json.loads(state.read_text())
        self.problem = tuple(done['problem']) if done['problem'] else None
        self.summary = done['summary']
        self.run_output = done['output']

    def _build_and_boot(self, out):
        """:returns: the state every proxy reports from (a dict)."""
        state = {'problem': None, 'summary': '', 'output': ''}
        start = time.monotonic()
        code, output = self._run([str(TOOLS / 'build')])
        built = time.monotonic() - start
        if code == UNAVAILABLE:
            state['problem'] = ('skip', 'the LVM device tier cannot run '
                                'here: ' + output.strip())
            return state
        if code:
            state['problem'] = ('fail', 'tools/guest/build failed (exit '
                                '%d):\n%s' % (code, output))
            return state
        rootdir = str(self.config.rootpath)
        cpus = _guest_cpus(self.config, len(self.nodeids))
        argv = [str(TOOLS / 'run'), '--out', str(out), '--smp', str(cpus),
                '--memory', '%dM' % (768 + 512 * cpus), '--timeout',
                str(self.config.getoption('--guest-timeout')), '--',
                # Scanning every installed distribution for pytest plugins
                # takes ~20 s under TCG; the suite needs none of them.
                'env', 'PYTEST_DISABLE_PLUGIN_AUTOLOAD=1',
                sys.executable, '-m', 'pytest', '-v', '-m', 'device',
                '-p', 'no:cacheprovider', '--rootdir', rootdir,
                # Not the default under /tmp: the guest's pytest would
                # clean up old numbered dirs, and this run's shared out
                # directory is one of them.
                '--basetemp', '/run/brick-pytest', '--durations', '20',
                '--guest-report', str(self.results), *self.nodeids]
        if cpus > 1:
            # The host waits on the guest, so its CPUs are free for TCG
            # vCPUs: one xdist worker each, a test class or module apiece
            # (module-scoped VGs are then set up once per worker).
            argv[argv.index('-v') + 1:argv.index('-v') + 1] = [
                '-p', 'xdist.plugin', '-n', str(cpus), '--dist', 'loadscope']
        start = time.monotonic()
        code, output = self._run(argv, cwd=rootdir)
        ran = time.monotonic() - start
        boot = re.search(r'brick-guest: ([\d.]+)s running the command',
                         self.console.read_text(errors='replace')
                         if self.console.exists() else '')
        state['summary'] = (
            'device tier: guest built/checked in %.1f s, booted in %s s, '
            'ran %d device tests; %.1f s in all (console log: %s)'
            % (built, boot.group(1) if boot else '?', len(self.nodeids), ran,
               self.console))
        # pytest's own 0 and 1 (tests failed) are reported test by test.
        if code not in (0, 1):
            state['output'] = 'tools/guest/run exited %d:\n%s' % (code,
                                                                  output)
            if not self.results.exists():
                state['problem'] = ('fail', state['output'])
        return state

    def _run(self, argv, cwd=None):
        """Run a tools/guest script; kill its process group if we stop.

        :returns: (exit code, stdout and stderr together).
        """
        with self._lock:
            if self._stopping:
                return 130, 'not started: the pytest session ended first'
            proc = subprocess.Popen(
                argv, cwd=cwd, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, text=True, start_new_session=True,
                preexec_fn=_die_with_parent)
            self._process = proc
        try:
            output, _ = proc.communicate()
        except BaseException:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
            raise
        finally:
            self._process = None
        return proc.returncode, output


def _guest_cpus(config, tests):
    cpus = config.getoption('--guest-cpus')
    if not cpus:
        # Each xdist worker costs ~15 s of imports under TCG: worth it for
        # a suite, not for a few tests.
        cpus = min(os.cpu_count() or 1, 4) if tests >= 10 else 1
    if cpus > 1 and importlib.util.find_spec('xdist') is None:
        return 1
    return cpus


def _skip(reason):
    # Reported at the test's own file and line, as a skip marker is, not
    # at this plugin's.
    raise pytest.skip.Exception(reason, _use_item_location=True)


# Looked up before any fork: the child of a threaded parent must not load
# libraries between fork and exec.
_prctl = ctypes.CDLL(None, use_errno=True).prctl


def _die_with_parent():
    # If pytest itself is killed (a CI timeout), the script gets SIGTERM and
    # its trap stops qemu, instead of the guest running to its timeout.
    # (The "parent" is the thread that started it, which waits for it.)
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Reporter:
    """Writes each test outcome as a JSON line (the guest's side)."""

    def __init__(self, path):
        self.path = path

    def _write(self, report, when):
        if report.skipped and isinstance(report.longrepr, tuple):
            text = report.longrepr[2].removeprefix('Skipped: ')
        else:
            text = report.longreprtext
            for title, content in getattr(report, 'sections', ()):
                title = (' %s ' % title).center(70, '-')
                text += '\n%s\n%s' % (title, content)
        record = {'nodeid': report.nodeid, 'when': when,
                  'outcome': report.outcome, 'text': text,
                  'duration': round(getattr(report, 'duration', 0), 3),
                  'wasxfail': getattr(report, 'wasxfail', None)}
        with open(self.path, 'a') as out:
            out.write(json.dumps(record) + '\n')

    def pytest_runtest_logreport(self, report):
        if report.when == 'call' or not report.passed:
            self._write(report, report.when)

    def pytest_collectreport(self, report):
        if report.failed:
            self._write(report, 'collect')
