# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.

"""Sphinx configuration for brick's documentation.

Build it with ``tox -e docs`` (warnings are errors), or
``.venv/bin/python -m sphinx -W -b html doc/source doc/build/html``.
"""

import logging
import os
import sys
import warnings

# doc/source/_ext holds the project's own extensions (brick_plugins: the
# driver capability tables and plugin lists, generated from the code).
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '_ext'))

# os-brick's privsep imports eventlet, which warns on import; autodoc of
# brick.api imports it.  Not a documentation problem.
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')

project = 'brick'
copyright = 'The brick developers'
extensions = [
    'sphinx.ext.autodoc',
    'sphinx.ext.viewcode',
    'oslo_config.sphinxext',
    'oslo_config.sphinxconfiggen',
    'stevedore.sphinxext',
    'cliff.sphinxext',
    'brick.scheduler.spec_docs',
    'brick_plugins',
    'brick_simulate_example',
]
autodoc_member_order = 'bysource'
autodoc_default_options = {'members': True, 'show-inheritance': True}
exclude_patterns = ['build', '_ext', 'examples']
html_theme = 'alabaster'
master_doc = 'index'
nitpicky = False

# oslo_config.sphinxconfiggen writes configuration/brick.conf.sample (git
# ignores it) at every build, from the same generator configuration as
# ``tox -e genconfig``, so the sample in the docs cannot drift.
# The generator warns that it spells the group [pool:NAME] in lower case
# in the sample; that is expected, and not a documentation warning.
logging.getLogger('oslo_config.generator').setLevel(logging.ERROR)
config_generator_config_file = [
    (os.path.join(HERE, '..', '..', 'etc', 'brick', 'config-generator.conf'),
     'configuration/brick'),
]
