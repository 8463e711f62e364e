# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""A small compute service that boots instances with local storage.

Run: ``python examples/compute_service.py [--data-dir D]``.
"""

import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cluster  # noqa: E402

from brick import exception  # noqa: E402


class Hypervisor:
    """Stands in for libvirt: 'boots' by recording the disks it got."""

    def __init__(self):
        self.running = {}

    def boot(self, instance, host, volumes):
        self.running[instance] = (host, [v['path'] for v in volumes])
        return {'domain': 'instance-%s' % instance[:8]}

    def revert(self, instance, host, volumes):
        self.running.pop(instance, None)


def run(service):
    hypervisor = Hypervisor()
    # By name: a flow resumed after a crash finds the handler again.
    service.handlers.register('hypervisor', hypervisor.boot,
                              hypervisor.revert)
    # At start-up, finish the flows a crashed predecessor left.
    for done in service.resume():
        print('  resumed flow %s of %s: %s' % (done.flow_id, done.consumer,
                                              done.outcome))
    print('compute service: booting instances')
    run_id = uuid.uuid4().hex[:6]
    # Implicit: the flavor's extra specs carry size and backend.
    small = service.boot_instance(
        'vm-small-%s' % run_id, 'hypervisor',
        flavor={'brick:local_gb': '1', 'brick:driver': 'qcow2'})
    cluster.show(small)
    # Explicit: two raw volumes of 64 MiB on one host, kept apart from
    # the first instance's host.
    big = service.boot_instance(
        'vm-big-%s' % run_id, 'hypervisor', size='64M', count=2,
        driver='raw', different_host=[small.consumer])
    cluster.show(big)
    # Nothing fits: the error carries the scheduler's explanation.
    try:
        service.boot_instance('vm-huge-%s' % run_id, 'hypervisor',
                              size='1P')
    except exception.NoValidHost as err:
        print('  vm-huge refused: %s' % err.explanation.summary())
    return small, big


if __name__ == '__main__':
    sys.exit(cluster.main(run, __doc__))
