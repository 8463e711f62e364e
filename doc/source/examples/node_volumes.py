# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The node side: a driver creates, grows, snapshots and attaches volumes
in a pool, and reports the pool's capacity.

Needs qemu-img (for the qcow2 pool).  Run by tests/docs/test_examples.py.
"""

import tempfile

from brick import drivers
from brick import exception
from brick import units
from brick.drivers.volume import Capability

with tempfile.TemporaryDirectory() as tmp:
    # Loading a driver touches nothing; check() verifies the pool (and,
    # for a directory pool, creates the directory).
    pool = drivers.load('qcow2', path=tmp + '/images', allocation_ratio=2.0)
    pool.check()

    disk = pool.create('vm1-disk0', 20 * units.Gi)
    assert pool.create('vm1-disk0', 20 * units.Gi) == disk  # idempotent
    pool.extend('vm1-disk0', 40 * units.Gi)

    if pool.supports(Capability.SNAPSHOT):
        pool.create_snapshot('vm1-disk0', 'before-upgrade')

    # What a compute service hands to os-brick's LOCAL connector.
    info = pool.attach('vm1-disk0')
    print(info['driver_volume_type'], info['data']['device_path'],
          info['data']['format'])

    report = pool.capacity()
    print('provisioned %s of %s x %.1f; largest new volume %s' % (
        units.human(report.provisioned), units.human(report.total),
        report.allocation_ratio, units.human(report.max_volume)))

    # Errors name the field, the value and what is allowed.
    try:
        pool.create('../etc/passwd', units.Gi)
    except exception.InvalidName as err:
        print('refused:', err)

    # A raw pool declares no snapshots: asking fails before anything runs.
    raw = drivers.load('raw', path=tmp + '/raw')
    raw.check()
    raw.create('scratch', units.Gi)
    try:
        raw.create_snapshot('scratch', 'snap')
    except exception.NotSupported as err:
        print('refused:', err)

    pool.detach('vm1-disk0')
    pool.delete('vm1-disk0')
    pool.delete('vm1-disk0')  # deleting a missing volume is not an error
    raw.delete('scratch')
