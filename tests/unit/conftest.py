# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
import pytest
from oslo_config import cfg
from oslo_config import fixture as config_fixture

import brick.conf


@pytest.fixture
def conf(tmp_path):
    """A fresh ConfigOpts with brick's options, data dir in tmp_path."""
    opts = cfg.ConfigOpts()
    brick.conf.register_opts(opts)
    fixture = config_fixture.Config(opts)
    fixture.setUp()
    opts([], project='brick', default_config_files=[],
         default_config_dirs=[])
    fixture.config(data_dir=str(tmp_path / 'data'), group='brick')
    yield opts
    fixture.cleanUp()
