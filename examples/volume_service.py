# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""A small volume service: volumes local to an instance, near another
volume, or anywhere; then extend, snapshot and delete.

Run: ``python examples/volume_service.py [--data-dir D]``.
"""

import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cluster  # noqa: E402

from brick import units  # noqa: E402


def run(service, instance=None):
    """Place volumes; with *instance* (booted by the compute service),
    one of them goes on its host."""
    print('volume service: creating volumes')
    run_id = uuid.uuid4().hex[:6]
    plain = service.create_volume('data-%s' % run_id, size='32M',
                                  driver='qcow2')
    cluster.show(plain)
    if instance is not None:
        local = service.create_volume('scratch-%s' % run_id, size='16M',
                                      local_to_instance=instance)
        cluster.show(local)
    # Same rack as the first volume is good enough, same host preferred.
    near = service.create_volume(
        'log-%s' % run_id, size='16M', near_volume=plain.consumer,
        locality='host', locality_mode='preferred', locality_max='rack')
    cluster.show(near)
    grown = service.extend_volume(plain.consumer, 48 * units.Mi)
    print('  extended %s to %d MiB' % (grown.name, grown.size >> 20))
    snap = service.snapshot_volume(plain.consumer, 'before-upgrade')
    print('  snapshot %s of %s' % (snap.name, snap.volume))
    service.delete_volume(near.consumer)
    print('  deleted %s (file gone: %s)' % (
        near.consumer, not os.path.exists(near.volumes[0].path)))
    return plain, near


if __name__ == '__main__':
    sys.exit(cluster.main(run, __doc__))
