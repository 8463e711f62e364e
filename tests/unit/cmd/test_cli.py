# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The ``brick`` application itself: options, configuration, exit codes."""

import importlib.metadata
import logging
import os
import sys

import pytest
from oslo_config import cfg

import brick.conf
from brick import exception
from brick import exit_codes
from brick.cmd import cli
from brick.cmd import help as help_mod
from brick.node import agent
from tests.unit.cmd import memory_node
from tests.unit.cmd import run

COMMANDS = ['driver list', 'node pool list', 'node pool show',
            'volume attach', 'volume clone', 'volume create', 'volume delete',
            'volume detach', 'volume extend', 'volume list', 'volume show',
            'volume snapshot create', 'volume snapshot delete',
            'volume snapshot list', 'volume snapshot revert']


class TestHelp:

    def test_help_lists_every_command_and_the_exit_codes(self, capsys):
        result = run(capsys, '--help')
        assert result.code == 0
        for name in COMMANDS:
            assert '  %s ' % name in result.stdout
        assert 'exit codes:' in result.stdout
        for code, _ in exit_codes.MEANINGS:
            assert '\n  %-4d  ' % code in result.stdout
        for option in ('--config-file', '--config-dir', '--data-dir',
                       '--debug', '--verbose', '--quiet'):
            assert option in result.stdout

    def test_help_of_a_command(self, capsys):
        result = run(capsys, 'help', 'volume', 'create')
        assert result.code == 0
        assert '--size SIZE' in result.stdout
        assert '--pool NAME' in result.stdout

    def test_help_option_after_a_command_is_that_commands_help(
            self, capsys):
        result = run(capsys, 'volume', 'create', '--help')
        assert result.code == 0
        assert result.stdout.startswith('usage: brick volume create ')
        assert '--size SIZE' in result.stdout

    @pytest.mark.parametrize('group', sorted({
        ' '.join(ep.name.split('_')[:end])
        for ep in importlib.metadata.entry_points(group='brick.cli')
        for end in range(1, len(ep.name.split('_')))}))
    def test_every_group_has_help(self, capsys, group):
        words = group.split()
        names = help_mod.group_commands(cli.BrickApp().command_manager,
                                        words)
        assert names
        for argv in (['help', *words], [*words, '--help']):
            result = run(capsys, *argv)
            assert (result.code, result.stderr) == (0, '')
            assert result.stdout.startswith("Commands of 'brick %s':\n"
                                            % group)
            for name in names:
                assert '\n  %s ' % name in result.stdout
        alone = run(capsys, *words)
        assert (alone.code, alone.stdout) == (exit_codes.USAGE, '')
        assert alone.stderr.startswith("brick: '%s' needs a command.\n"
                                       "Commands of 'brick %s':\n"
                                       % (group, group))

    def test_ganeti_group(self, capsys):
        result = run(capsys, 'ganeti', '--help')
        assert result.stdout == (
            "Commands of 'brick ganeti':\n"
            "  ganeti install  Write the provider directory (scripts and "
            "parameters.list)\n\n" + help_mod.FOOTER + '\n')

    def test_help_of_no_command(self, capsys):
        result = run(capsys, 'help', 'frobnicate')
        assert (result.code, result.stdout) == (exit_codes.USAGE, '')
        assert "'frobnicate' is not a brick command" in result.stderr

    def test_version(self, capsys):
        result = run(capsys, '--version')
        assert result.code == 0
        assert result.stdout.startswith('brick ')

    def test_module_docstring_documents_every_exit_code(self):
        for code, _ in exit_codes.MEANINGS:
            assert '\n%-4d  ' % code in cli.__doc__


class TestUsageErrors:

    def test_unknown_command(self, capsys):
        result = run(capsys, 'volume', 'frobnicate')
        assert result.code == exit_codes.USAGE
        assert result.stdout == ''
        assert "'volume frobnicate' is not a brick command" in result.stderr
        assert 'volume create' in result.stderr  # the suggestions

    def test_no_command_without_a_terminal(self, capsys):
        result = run(capsys)
        assert result.code == exit_codes.USAGE
        assert "brick: no command given; see 'brick --help'." in \
            result.stderr

    def test_unknown_global_option(self, capsys):
        result = run(capsys, '--pool', 'raw', 'volume', 'list')
        assert result.code == exit_codes.USAGE
        assert "unknown option '--pool'" in result.stderr

    def test_missing_argument(self, capsys):
        result = run(capsys, 'volume', 'create', 'vol1')
        assert result.code == exit_codes.USAGE
        assert result.stdout == ''
        assert 'required: --size' in result.stderr

    def test_unknown_command_option(self, capsys):
        result = run(capsys, 'volume', 'list', '--colour')
        assert result.code == exit_codes.USAGE
        assert 'unrecognized arguments: --colour' in result.stderr

    def test_unknown_output_format(self, capsys):
        result = run(capsys, 'volume', 'list', '-f', 'xml',
                     node=memory_node(raw={}))
        assert result.code == exit_codes.USAGE
        assert "invalid choice: 'xml'" in result.stderr


class TestErrors:

    @pytest.mark.parametrize('error, code', [
        (exception.InvalidName(field='volume name', value='a/b', reason='x',
                               allowed='y'), exit_codes.USAGE),
        (exception.InvalidSize(field='size', value=0, reason='x',
                               allowed='y'), exit_codes.USAGE),
        (exception.InvalidValue(field='pool', value=1, allowed='y'),
         exit_codes.USAGE),
        (exception.VolumeNotFound(name='v', pool='p'), exit_codes.NOT_FOUND),
        (exception.SnapshotNotFound(name='s', volume='v'),
         exit_codes.NOT_FOUND),
        (exception.PoolNotFound(name='p', reason='x'), exit_codes.NOT_FOUND),
        (exception.DriverNotFound(name='d', available='raw'),
         exit_codes.NOT_FOUND),
        (exception.VolumeExists(name='v', pool='p', existing=1, requested=2),
         exit_codes.CONFLICT),
        (exception.VolumeBusy(name='v', reason='open'), exit_codes.CONFLICT),
        (exception.InsufficientCapacity(pool='p', requested=2, available=1),
         exit_codes.CONFLICT),
        (exception.NotSupported(driver='raw', operation='snapshots',
                                capabilities='none'),
         exit_codes.NOT_SUPPORTED),
        (exception.CommandFailed(cmd='lvs', exit_code=5, stderr='boom'),
         exit_codes.ERROR),
        (exception.ToolNotFound(tool='qemu-img', purpose='x'),
         exit_codes.ERROR),
        (RuntimeError('a bug'), exit_codes.ERROR),
    ])
    def test_each_error_family_has_its_exit_code(self, capsys, error, code):
        result = run(capsys, 'volume', 'show', 'vol1',
                     node=memory_node(raw={'failure': error}))
        assert result.code == code
        assert result.stdout == ''
        assert result.stderr.startswith('brick: ')
        assert str(error) in result.stderr
        assert 'Traceback' not in result.stderr
        assert result.stderr.count('\n') == 1

    def test_unexpected_error_says_how_to_see_the_traceback(self, capsys):
        result = run(capsys, 'volume', 'list',
                     node=memory_node(raw={'failure': RuntimeError('bug')}))
        assert result.code == exit_codes.ERROR
        assert 'unexpected error: RuntimeError: bug' in result.stderr
        assert '--debug' in result.stderr

    def test_debug_adds_the_traceback(self, capsys):
        failure = exception.CommandFailed(cmd='lvs', exit_code=5,
                                          stderr='boom')
        result = run(capsys, '--debug', 'volume', 'show', 'vol1',
                     node=memory_node(raw={'failure': failure}))
        assert result.code == exit_codes.ERROR
        assert 'Traceback (most recent call last)' in result.stderr
        assert result.stderr.rstrip().endswith('brick: %s' % failure)

    def test_logging_handlers_do_not_pile_up(self, capsys):
        root = logging.getLogger()
        before = list(root.handlers), root.level
        for _ in range(3):
            run(capsys, '-v', 'volume', 'list', node=memory_node(raw={}))
        assert (list(root.handlers), root.level) == before


class TestConfiguration:

    def test_no_configuration_gives_the_three_file_pools(self, tmp_path):
        conf = brick.conf.load(data_dir=str(tmp_path))
        assert conf.brick_node.pools == []
        node = agent.NodeAgent.from_conf(conf)
        assert node.names() == ['raw', 'qcow2', 'vdi']
        assert node.default_pool() == 'raw'

    def test_data_dir_option_overrides_the_configuration(self, tmp_path):
        config = tmp_path / 'brick.conf'
        config.write_text('[brick]\ndata_dir = /nonexistent/brick\n')
        conf = brick.conf.load([str(config)], data_dir=str(tmp_path / 'd'))
        assert conf.brick.data_dir == str(tmp_path / 'd')
        assert brick.conf.load([str(config)]).brick.data_dir == \
            '/nonexistent/brick'

    def test_config_dir_is_read(self, tmp_path):
        (tmp_path / 'conf.d').mkdir()
        (tmp_path / 'conf.d' / '10-node.conf').write_text(
            '[brick_node]\npools = fast\n[pool:fast]\ndriver = raw\n')
        conf = brick.conf.load(config_dirs=[str(tmp_path / 'conf.d')])
        assert conf.brick_node.pools == ['fast']

    def test_brick_data_dir_environment_variable(self, capsys, tmp_path,
                                                 monkeypatch):
        monkeypatch.setenv('BRICK_DATA_DIR', str(tmp_path / 'env'))
        app = cli.BrickApp()
        options, _ = app.parser.parse_known_args(['volume', 'list'])
        assert options.data_dir == str(tmp_path / 'env')

    def test_missing_config_file_is_a_usage_error(self, capsys, tmp_path):
        missing = tmp_path / 'missing.conf'
        result = run(capsys, '--config-file', str(missing), 'volume', 'list')
        assert result.code == exit_codes.USAGE
        assert str(missing) in result.stderr
        assert 'Traceback' not in result.stderr

    def test_malformed_config_file_is_a_usage_error(self, capsys, tmp_path):
        config = tmp_path / 'brick.conf'
        config.write_text('[brick\ndata_dir = x\n')
        result = run(capsys, '--config-file', str(config), 'volume', 'list')
        assert result.code == exit_codes.USAGE
        assert str(config) in result.stderr

    def test_unknown_driver_in_the_configuration(self, capsys, tmp_path):
        config = tmp_path / 'brick.conf'
        config.write_text('[brick_node]\npools = fast\n'
                          '[pool:fast]\ndriver = nosuch\n')
        result = run(capsys, '--config-file', str(config), 'volume', 'list')
        assert result.code == exit_codes.NOT_FOUND
        assert "Unknown volume driver 'nosuch'" in result.stderr

    def test_configured_pool_without_a_driver(self, capsys, tmp_path):
        config = tmp_path / 'brick.conf'
        config.write_text('[brick_node]\npools = fast\n')
        result = run(capsys, '--config-file', str(config), 'volume', 'list')
        assert result.code == exit_codes.NOT_FOUND
        assert "Pool 'fast' not found" in result.stderr

    def test_bad_option_value_is_a_usage_error(self, capsys, tmp_path):
        config = tmp_path / 'brick.conf'
        config.write_text('[brick_executor]\ncommand_timeout = 0\n')
        result = run(capsys, '--config-file', str(config), '--data-dir',
                     str(tmp_path), 'volume', 'list')
        assert result.code == exit_codes.USAGE
        assert 'command_timeout' in result.stderr

    def test_load_conf_uses_a_fresh_config_object(self, tmp_path):
        first = brick.conf.load(data_dir=str(tmp_path / 'a'))
        second = brick.conf.load(data_dir=str(tmp_path / 'b'))
        assert first is not second
        assert first.brick.data_dir != second.brick.data_dir
        assert 'brick' not in cfg.CONF  # nothing leaks into the global


class TestDefaultPool:

    def test_raw_when_the_node_has_it(self):
        assert memory_node(fast={}, raw={}).default_pool() == 'raw'

    def test_the_only_pool_otherwise(self, capsys):
        node = memory_node(fast={})
        assert node.default_pool() == 'fast'
        result = run(capsys, 'volume', 'create', 'v1', '--size', '1M',
                     '-f', 'json', node=node)
        assert result.json()['pool'] == 'fast'

    def test_several_pools_without_raw_need_pool(self, capsys):
        result = run(capsys, 'volume', 'show', 'v1',
                     node=memory_node(fast={}, slow={}))
        assert result.code == exit_codes.USAGE
        assert '--pool with one of fast, slow' in result.stderr

    def test_each_pool_is_checked_once_before_use(self, capsys):
        node = memory_node(raw={})
        driver = node.driver('raw', check=False)
        assert driver.checks == 0
        run(capsys, 'volume', 'list', node=node)
        assert driver.checks == 1
        node.driver('raw')
        assert driver.checks == 1


def test_main_reads_sys_argv(capsys, monkeypatch):
    monkeypatch.setattr('sys.argv', ['brick', '--version'])
    assert cli.main() == 0
    assert capsys.readouterr().out.startswith('brick ')


def test_console_script_is_installed():
    from importlib import metadata
    scripts = {ep.name: ep.value for ep in
               metadata.entry_points(group='console_scripts')}
    assert scripts.get('brick') == 'brick.cmd.cli:main'
    commands = {ep.name for ep in metadata.entry_points(group='brick.cli')}
    assert {name.replace(' ', '_') for name in COMMANDS} <= commands
    assert os.access(os.path.join(os.path.dirname(sys.executable),
                                  'brick'), os.X_OK)
