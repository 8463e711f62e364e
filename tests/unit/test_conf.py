# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
import subprocess
import sys

from oslo_config import cfg

import brick.conf
from brick.conf import opts


def test_every_group_is_listed_and_registers_on_a_fresh_conf():
    groups = {group.name for group, _ in opts.list_opts()}
    assert {'brick', 'brick_executor', 'brick_node', 'pool:NAME'} <= groups
    conf = cfg.ConfigOpts()
    brick.conf.register_opts(conf)
    conf([], default_config_files=[], default_config_dirs=[])
    assert conf.brick_executor.command_timeout == 600
    assert conf.brick_node.pools == []


def test_no_global_conf_is_touched():
    before = set(cfg.CONF)
    brick.conf.register_opts(cfg.ConfigOpts())
    assert set(cfg.CONF) == before


def _loaded():
    conf = cfg.ConfigOpts()
    brick.conf.register_opts(conf)
    conf([], default_config_files=[], default_config_dirs=[])
    return conf


def test_an_override_stays_in_its_own_conf():
    first, second = _loaded(), _loaded()
    first.set_override('data_dir', '/srv/first', group='brick')
    first.set_override('command_timeout', 5, group='brick_executor')
    assert second.brick.data_dir != '/srv/first'
    assert second.brick_executor.command_timeout == 600
    # Registering a group again (as a caller's own register_opts may) is
    # harmless and keeps the override.
    brick.conf.register_opts(first)
    assert first.brick.data_dir == '/srv/first'


def test_every_option_has_help_in_sentences():
    for group, options in opts.list_opts():
        for opt in options:
            assert opt.help and opt.help.strip().endswith('.'), (
                group.name, opt.name)


def test_the_config_generator_writes_a_sample(tmp_path):
    out = tmp_path / 'brick.conf.sample'
    subprocess.run([sys.executable, '-m', 'oslo_config.generator',
                    '--namespace', 'brick', '--output-file', str(out)],
                   check=True)
    text = out.read_text()
    assert '[brick_executor]' in text and '[pool:NAME]' in text
    assert '#command_timeout = 600' in text


def test_the_generator_in_process_does_not_change_what_registers(tmp_path):
    # oslo-config-generator lower-cases the names of the group objects it
    # is given, in place; [pool:NAME] must stay a template afterwards.
    from oslo_config import generator

    gconf = cfg.ConfigOpts()
    generator.register_cli_opts(gconf)
    gconf(['--namespace', 'brick', '--output-file', str(tmp_path / 's')])
    generator.generate(gconf)
    conf = _loaded()
    assert 'pool:name' not in conf and 'pool:NAME' not in conf
