# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""A Ganeti ExtStorage provider backed by any brick driver.

Ganeti runs one executable per action (``create``, ``attach``,
``detach``, ``remove``, ``grow``, ``setinfo``, ``verify``, ``snapshot``,
``open``, ``close``) from the provider directory, with no arguments and
the disk described in the environment (``VOL_NAME``, ``VOL_SIZE`` in
MiB, ``EXTP_*`` disk parameters...).  ``brick ganeti install`` writes
that directory: ``parameters.list`` and one small script per action,
each running ``python -m brick.ganeti ACTION``.

* :mod:`~brick.ganeti.environment`: the environment, parsed and checked.
* :mod:`~brick.ganeti.provider`: the actions, on a brick driver.
* :mod:`~brick.ganeti.install`: the provider directory.
"""
