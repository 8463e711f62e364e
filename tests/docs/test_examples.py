# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Every example in the documentation runs, so the docs cannot rot.

What counts as an example, and how it is checked:

* ``.. literalinclude::`` of a file under ``doc/source/examples``: a
  ``.py`` file runs as a script (exit 0); a ``.conf`` file is read as
  brick's configuration and its pools are built.  A file of any other
  kind there is an error.
* ``.. literalinclude::`` of any other file of the repository: some test
  under ``tests/`` (not this one) must name it, or a console example on
  these pages must use it.
* ``.. code-block:: console``: each ``$ brick ...`` line runs through
  ``brick.cmd.cli.main``, the ``brick`` console script's entry point, in
  page order, with a fresh data directory
  and HOME per page and the repository as the working directory; it must
  exit 0, or the code a trailing ``# exit N`` comment names.  Any other
  ``$`` command must be listed in :data:`NOT_RUN` with the reason.
* Inline Python or shell blocks are refused unless they are excerpts of
  an example that runs (every line of code in one of them): put the
  example in a file under ``doc/source/examples`` and include it.
* An included helper module counts as tested when an example of its
  directory that a test runs imports it.
* The output a page shows for an example (:data:`SHOWN_OUTPUT`) is in
  what it prints; ``setup.cfg`` entry-point examples name a real
  namespace and an example class.
* ``openstack flavor set --property brick:...`` examples (the openstack
  CLI is not here): their properties must build a placement request.
"""

import functools
import os
import pathlib
import re
import shlex
import subprocess
import sys

import pytest

from tests.conftest import require_tool

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCS = ROOT / 'doc' / 'source'
EXAMPLES = DOCS / 'examples'
THIS = pathlib.Path(__file__).resolve()

NOT_RUN = {
    './tools/quickstart': 'installs Debian packages and .venv; '
                          'tests/functional/test_cli.py runs its tour',
    './tools/test': 'is the whole test suite, this test included',
    './tools/test -n0': 'is the whole test suite again, in one process',
    './tools/test -n0 tests/functional -x': 'is most of the suite again',
    './tools/test --pdb': 'is interactive',
    'tox -e docs': 'tests/docs/test_reference.py builds the docs with -W',
    '.venv/bin/python -m sphinx -W -b html doc/source doc/build/html':
        'tests/docs/test_reference.py builds the docs with -W',
    'pip install -r requirements.txt .': 'tools/venv, which made the venv '
                                         'these tests run in, does the same',
    'brick-conductor --config-file /etc/brick/brick.conf':
        'runs until stopped, on a jobboard and a shared database; '
        'tests/functional/workflow/test_conductors.py runs its loop',
}
"""Console commands that are shown but not run here, and why."""

SHOWN_OUTPUT = {
    'place_volume.py': [
        'chosen: host compute-1: host:compute-1/local (10 GiB); score 10.000',
        'created instance-1-disk0 (10 GiB) at ',
        'host:compute-1/local: 10 GiB used of ',
        'host:compute-2/local: 0 B used of '],
    'fill_filter.py': [
        '1 GiB goes to host:h1/ssd\n', '10 GiB goes to host:h2/hdd\n',
        'filtered: volume 1 in host:h1/ssd removed by fill_limit (pool too '
        'full: host:h1/ssd would be 85% full)',
        'No valid host: 1 volume(s) of 900 GiB',
        'fill_limit removed 1 of 1 pools: host:h2/hdd (pool too full x1, '
        'e.g. pool too full: host:h2/hdd would be 90% full).'],
}
"""Output the pages show for an example (the parts without "...")."""

GENERATED = {
    DOCS / 'configuration' / 'brick.conf.sample':
        'written by oslo_config.sphinxconfiggen at build time; '
        'test_sample_configuration_generates checks the generator',
}
GENERATED.update({
    DOCS / 'admin' / 'simulate' / 'generated' / name:
        'drawn by _ext/brick_simulate_example.py at build time; '
        'tests/docs/test_simulate_example.py checks it'
    for name in ('table.txt', 'stuck.txt')})

RUNNERS = ('.py', '.conf')
"""Suffixes of doc/source/examples files this module runs or loads."""

INCLUDE = re.compile(r'^\s*\.\. literalinclude::\s*(\S+)\s*$')
CODE_BLOCK = re.compile(r'^(\s*)\.\. code-block::\s*(\S+)\s*$')
INLINE_CODE = {'python', 'python3', 'py', 'pycon', 'bash', 'sh', 'shell',
               'shell-session'}
EXIT = re.compile(r'#\s*exit\s+(\d+)\s*$')


def _pages():
    skip = {DOCS / '_ext', EXAMPLES}
    return sorted(path for path in DOCS.rglob('*.rst')
                  if not any(parent in skip for parent in path.parents))


def _rel(path):
    return str(path.relative_to(ROOT))


def _includes(page):
    """``[(line number, resolved path)]`` of the page's literalincludes."""
    found = []
    for number, line in enumerate(page.read_text().splitlines(), 1):
        match = INCLUDE.match(line)
        if match:
            target = match.group(1)
            base = DOCS if target.startswith('/') else page.parent
            found.append((number, (base / target.lstrip('/')).resolve()))
    return found


def _blocks(page, language=None):
    """``[(line number, language, [content lines])]`` of code-blocks."""
    lines = page.read_text().splitlines()
    blocks = []
    for number, line in enumerate(lines):
        match = CODE_BLOCK.match(line)
        if not match or (language and match.group(2) != language):
            continue
        indent = len(match.group(1))
        body = []
        for follow in lines[number + 1:]:
            if follow.strip() and len(follow) - len(follow.lstrip()) <= \
                    indent:
                break
            body.append(follow)
        # drop the directive's options (":caption: ...")
        while body and (not body[0].strip() or
                        body[0].strip().startswith(':')):
            body.pop(0)
        blocks.append((number + 1, match.group(2), body))
    return blocks


def _commands(block):
    """The ``$`` lines of a console block, continuation lines joined."""
    commands, current = [], None
    for line in block:
        text = line.strip()
        if current is not None:
            current += ' ' + text.rstrip('\\').strip()
            if not text.endswith('\\'):
                commands.append(current)
                current = None
        elif text.startswith('$ '):
            if text.endswith('\\'):
                current = text[2:].rstrip('\\').strip()
            else:
                commands.append(text[2:])
    assert current is None, 'unfinished continuation line in %s' % block
    return commands


def _console_pages():
    return [page for page in _pages() if _blocks(page, 'console')]


def _env(tmp_path):
    return dict(os.environ, HOME=str(tmp_path),
                BRICK_DATA_DIR=str(tmp_path / 'data'))


# -- what the pages contain ---------------------------------------------------

def test_the_pages_are_found():
    names = {_rel(page) for page in _pages()}
    assert 'doc/source/index.rst' in names
    assert 'doc/source/install/quickstart.rst' in names
    assert all(_rel(example) for example in EXAMPLES.iterdir())


def _code_lines(text):
    """Lines of code without comments, blanks and ``...`` elisions."""
    lines = set()
    for line in text.splitlines():
        code = line.split('#', 1)[0].strip()
        if code and code != '...' and not code.startswith('>>>'):
            lines.add(code)
    return lines


@functools.lru_cache(maxsize=1)
def _tested_code():
    """Code lines of every example file that a test runs."""
    lines = set()
    for path in sorted(EXAMPLES.glob('*.py')) + sorted(
            (ROOT / 'examples').glob('*.py')):
        if EXAMPLES in path.parents or _covered_elsewhere(path):
            lines |= _code_lines(path.read_text())
    return lines


@pytest.mark.parametrize('page', _pages(), ids=_rel)
def test_no_inline_code_that_nothing_runs(page):
    for number, language, body in _blocks(page):
        if language not in INLINE_CODE:
            continue
        # An excerpt of an example that runs is fine: every line of code
        # in it must be in one.
        missing = sorted(_code_lines('\n'.join(body)) - _tested_code())
        assert not missing, (
            '%s:%d: this %s block is not run by any test (%s); put it in '
            'doc/source/examples/ and literalinclude it, or show an excerpt '
            'of an example that runs' % (_rel(page), number, language,
                                        '; '.join(missing)))
    console = {line for _, _, body in _blocks(page, 'console')
               for line in body}
    for number, line in enumerate(page.read_text().splitlines(), 1):
        if line.lstrip().startswith('$ ') or '>>> ' in line:
            assert line in console, (
                '%s:%d: a command outside a ".. code-block:: console" is '
                'not run: %s' % (_rel(page), number, line.strip()))


@pytest.mark.parametrize('page', _pages(), ids=_rel)
def test_included_files_exist(page):
    for number, path in _includes(page):
        assert path.exists() or path in GENERATED, (
            '%s:%d: %s does not exist' % (_rel(page), number, path))


def test_every_example_is_included():
    included = {path for page in _pages() for _, path in _includes(page)}
    orphans = [_rel(path) for path in sorted(EXAMPLES.iterdir())
               if path.suffix in RUNNERS and path not in included]
    assert not orphans, 'examples no page shows: %s' % orphans
    unknown = [_rel(path) for path in sorted(EXAMPLES.iterdir())
               if path.suffix not in RUNNERS and path.name != '__pycache__']
    assert not unknown, 'examples no test knows how to run: %s' % unknown


def _covered_elsewhere(path, _seen=()):
    """The first test file naming *path*, or a console command using it."""
    rel = _rel(path)
    if path.name.startswith('test_') and (ROOT / 'tests') in path.parents:
        return rel  # a test module: pytest runs it
    for test in sorted((ROOT / 'tests').rglob('*.py')):
        if test.resolve() != THIS:
            text = test.read_text()
            if rel in text or repr(path.name) in text or \
                    "'%s'" % path.name in text:
                return _rel(test)
    for page in _console_pages():
        for _, _, body in _blocks(page, 'console'):
            if any(rel in command for command in _commands(body)):
                return _rel(page)
    if path.suffix == '.py':
        # A helper module that a covered example of its directory imports.
        imports = re.compile(r'^\s*(from\s+%s\s+import|import\s+%s\b)'
                             % (path.stem, path.stem), re.MULTILINE)
        for sibling in sorted(path.parent.glob('*.py')):
            if sibling not in (path, *_seen) and imports.search(
                    sibling.read_text()):
                covered = _covered_elsewhere(sibling, (*_seen, path))
                if covered:
                    return '%s (imported by %s)' % (covered, sibling.name)
    return None


def _included_elsewhere():
    seen = {}
    for page in _pages():
        for _, path in _includes(page):
            if EXAMPLES not in path.parents and path not in GENERATED:
                seen.setdefault(path, _rel(page))
    return sorted(seen.items())


@pytest.mark.parametrize('path,page', _included_elsewhere(),
                         ids=lambda value: str(value))
def test_included_repository_files_are_tested(path, page):
    assert _covered_elsewhere(path), (
        '%s includes %s, which no test under tests/ names and no console '
        'example uses' % (page, _rel(path)))


# -- running them -------------------------------------------------------------

def _examples(suffix):
    return sorted(EXAMPLES.glob('*' + suffix))


@pytest.mark.parametrize('example', _examples('.py'), ids=_rel)
def test_python_example_runs(example, tmp_path):
    require_tool('qemu-img')
    done = subprocess.run([sys.executable, str(example)], cwd=tmp_path,
                          env=dict(_env(tmp_path), PYTHONPATH=str(ROOT)),
                          capture_output=True, text=True, timeout=600,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip(), 'an example should show what it did'
    for line in SHOWN_OUTPUT.get(example.name, ()):
        assert line in done.stdout, (line, done.stdout)


@pytest.mark.parametrize('example', _examples('.conf'), ids=_rel)
def test_configuration_example_loads(example, tmp_path):
    import brick.conf
    from brick import drivers
    from brick.local import executor

    conf = brick.conf.load([str(example)], data_dir=str(tmp_path))
    pools = drivers.node_pools(conf, executor.Executor())
    assert pools, 'the example configures no pool'
    assert list(pools) == list(conf.brick_node.pools or pools)


@pytest.mark.parametrize('page', _console_pages(), ids=_rel)
def test_console_examples_run(page, tmp_path, monkeypatch, capsys):
    # In-process through brick.cmd.cli.main, the console script's entry
    # point (tests/functional/test_cli.py runs the script itself): a
    # subprocess per line costs seconds of imports each.
    from brick.cmd import cli

    require_tool('qemu-img')
    for name, value in _env(tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(ROOT)
    ran = shown = 0
    for number, _, body in _blocks(page, 'console'):
        for command in _commands(body):
            match = EXIT.search(command)
            expected = int(match.group(1)) if match else 0
            argv = shlex.split(command, comments=True)
            if argv[0] != 'brick':
                assert command.split('#')[0].strip() in NOT_RUN, (
                    '%s:%d: "$ %s" is neither a brick command nor listed '
                    'in NOT_RUN' % (_rel(page), number, command))
                shown += 1
                continue
            code = cli.main(argv[1:])
            out, err = capsys.readouterr()
            assert code == expected, (
                '%s:%d: "$ %s" exited %s, expected %d\n%s%s' % (
                    _rel(page), number, command, code, expected, out, err))
            if expected:
                assert err.startswith('brick: ') or 'brick: ' in err, err
            ran += 1
    assert ran + shown, '%s has console blocks without commands' % page


def test_sample_configuration_generates(tmp_path):
    from oslo_config import generator

    out = tmp_path / 'brick.conf.sample'
    generator.main(['--config-file',
                    str(ROOT / 'etc' / 'brick' / 'config-generator.conf'),
                    '--output-file', str(out)])
    text = out.read_text()
    assert '[brick]' in text and '[brick_scheduler]' in text


def _flavor_commands(page):
    """``openstack flavor set`` commands of the page, continuation lines
    joined, as argv lists."""
    joined = page.read_text().replace('\\\n', ' ')
    return [shlex.split(line.strip()) for line in joined.splitlines()
            if line.strip().startswith('openstack flavor set')]


def _flavor_pages():
    return [page for page in _pages() if _flavor_commands(page)]


@pytest.mark.parametrize('page', _flavor_pages(), ids=_rel)
def test_flavor_examples_build_a_request(page):
    # The openstack CLI is not here; what it would store is checked by the
    # registry and the request builder the scheduler uses.
    from brick.scheduler import request

    for argv in _flavor_commands(page):
        specs = dict(argv[i + 1].split('=', 1)
                     for i, arg in enumerate(argv) if arg == '--property')
        assert specs, argv
        spec = request.build(flavor=specs)
        assert spec.volumes, argv


ENTRY_POINT = re.compile(r'^\s+(brick\.[a-z_.]+) =\s*\n\s+(\S+) = \S+:(\w+)$',
                         re.MULTILINE)


def test_entry_point_examples_name_real_namespaces_and_classes():
    import configparser

    setup = configparser.ConfigParser(interpolation=None)
    setup.read(ROOT / 'setup.cfg')
    namespaces = set(setup['entry_points'])
    classes = '\n'.join(path.read_text() for path in EXAMPLES.glob('*.py'))
    found = [match.groups() for page in _pages()
             for match in ENTRY_POINT.finditer(page.read_text())]
    assert found
    for namespace, _, cls in found:
        assert namespace in namespaces, namespace
        assert 'class %s(' % cls in classes, cls
