# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The oslo.privsep context of brick, and the only things it does as root.

Used when ``[brick_executor]use_privsep`` is set.  The embedding service
starts the daemon the usual oslo.privsep way (``privsep-helper
--privsep_context brick.privileged.default``), configured in the
``[brick_privileged]`` section.

There is no "run this command" entry point.  Each operation brick needs
root for has its own (:mod:`brick.privileged.operations`), and each
checks its whole command line inside the daemon
(:mod:`brick.privileged.rules`) before running it, so an unprivileged
brick that has been taken over can ask for these operations on LVM
volumes, loop devices and images, and nothing else:

=======================  ==================================================
entry point              runs, as root
=======================  ==================================================
``lvm_report``           ``lvm vgs`` / ``lvm lvs`` (JSON report, fixed
                         options)
``lv_create``            ``lvm lvcreate``: linear, thin pool, thin, thin
                         snapshot
``lv_extend``            ``lvm lvextend --size``
``lv_remove``            ``lvm lvremove --yes`` (by name or selection)
``lv_rename``            ``lvm lvrename``
``lv_change``            ``lvm lvchange --activate y|n``
``lv_merge``             ``lvm lvconvert --merge``
``loop_device``          ``losetup`` list, attach a file, detach, refresh
``image_copy``           ``qemu-img convert`` to or from a logical volume
``udev_settle``          ``udevadm settle``
=======================  ==================================================

Names are brick names (:mod:`brick.names`), sizes whole bytes, the
``--config`` text of lvm2 may only set the few settings brick and
operators need (lvm2 settings such as ``thin_check_executable`` or
``backup_dir`` would let the caller run or write anything), the
environment may only carry brick's own variables, and an image read as
root is inspected again inside the daemon (:mod:`brick.local.
image_check`).  The daemon keeps ``CAP_SYS_ADMIN`` (device-mapper, loop
devices), ``CAP_DAC_OVERRIDE`` and ``CAP_DAC_READ_SEARCH`` (device nodes
and the files being copied).
"""

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
