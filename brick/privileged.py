# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""An oslo.privsep context for the commands brick runs as root.

Used only when ``[brick_executor]use_privsep`` is set.  The embedding
service starts the daemon the usual oslo.privsep way (``privsep-helper
--privsep_context brick.privileged.default``), configured in the
``[brick_privileged]`` section.  Like os-brick's ``execute_root``, this
lets brick run any command as root; rootwrap filters would be no narrower.
"""

from oslo_concurrency import processutils
from oslo_privsep import capabilities
from oslo_privsep import priv_context

default = priv_context.PrivContext(
    'brick',
    cfg_section='brick_privileged',
    pypath=__name__ + '.default',
    capabilities=[capabilities.CAP_SYS_ADMIN,
                  capabilities.CAP_DAC_OVERRIDE,
                  capabilities.CAP_DAC_READ_SEARCH],
)


@default.entrypoint
def execute_root(*cmd, **kwargs):
    """Run *cmd* as root inside the privsep daemon."""
    return processutils.execute(*cmd, **kwargs)
