# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""A compute service's boot handler that runs each instance as a real
QEMU guest whose disks are the volumes brick placed.

Run: ``python examples/qemu_instances.py [--data-dir D]`` (as root, after
``tools/guest/build``): it boots one instance with a raw and a qcow2
volume, prints what the guest saw, and deletes the instance.

:class:`QemuInstances` is the part to copy.  For each volume the
workflow hands to :meth:`~QemuInstances.boot`, os-brick's LOCAL connector
turns the volume's ``connection_info`` into a path, as Nova does for a
Cinder volume, and the ``format`` that comes with it is what QEMU is told
(``format=``).  Never let QEMU guess it: a qcow2 volume opened as raw
shows the guest the qcow2 container, and a raw one whose guest wrote a
qcow2 header would be opened as qcow2 with a backing file of the guest's
choosing.  With libvirt, the same values make the disk element::

    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>          <!-- data['format'] -->
      <source file='/var/lib/brick/pools/qcow2/vm1-disk1'/>
      <target dev='vdb' bus='virtio'/>
      <serial>vm1-disk1</serial>
    </disk>

Deleting the instance stops the guest, disconnects each volume and
deletes it through the API, which frees its space in the inventory.

The guest here is this repository's test VM (``tools/guest``): a stock
Debian kernel under TCG with the host's ``/`` as its read-only root.  A
real service starts its own image the same way, with these ``-drive``
and ``-device`` arguments.
"""

import os
import pathlib
import signal
import subprocess
import sys
import time
import typing

from os_brick.initiator import connector as os_brick_connector

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cluster  # noqa: E402

from brick import api as brick_api  # noqa: E402
from brick import exception  # noqa: E402
from brick.workflow import handlers  # noqa: E402

TOOLS = pathlib.Path(__file__).resolve().parents[1] / 'tools' / 'guest'
FORMATS = ('raw', 'qcow2')
"""Formats QEMU is told to open; brick's vdi volumes are for other
hypervisors."""


def disk_arguments(index: int, volume: dict, path: str) -> list[str]:
    """QEMU's ``-drive`` and ``-device`` for the placed *volume* (a dict
    the workflow passes) at *path*: its format told, never probed, its
    name as the disk's serial (``/dev/disk/by-id/virtio-<name>``)."""
    fmt = volume['connection_info']['data']['format']
    if fmt not in FORMATS:
        raise exception.InvalidValue(field='format of volume %s'
                                     % volume['name'], value=fmt,
                                     allowed=', '.join(FORMATS))
    # qemu's option syntax: a comma inside a value is doubled.
    drive = 'file=%s,format=%s,if=none,id=disk%d,cache=writeback' % (
        path.replace(',', ',,'), fmt, index)
    # virtio-blk keeps 20 bytes of serial.
    device = 'virtio-blk-pci,drive=disk%d,serial=%s' % (
        index, volume['name'][:20])
    return ['-drive', drive, '-device', device]


class QemuInstances(handlers.BootHandler):
    """Boots instances as QEMU guests with their brick volumes as disks.

    :param api: the :class:`brick.api.API`, to delete the volumes with
        the instance.
    :param vm_command: ``vm_command(instance, disk_args) -> argv`` of the
        process that runs the guest with those disks (see
        :func:`test_vm`).
    """

    def __init__(self, api: brick_api.API,
                 vm_command: typing.Callable[[str, list[str]], list[str]]
                 ) -> None:
        self.api = api
        self.vm_command = vm_command
        self.connector = os_brick_connector.InitiatorConnector.factory(
            'LOCAL', root_helper=None)
        self.running: dict[str, tuple[subprocess.Popen, list]] = {}
        """instance -> (process, [(connection data, device info)])."""

    def boot(self, instance: str, host: str, volumes: list[dict]) -> dict:
        """Start *instance* (here: on this machine, which stands for
        *host*) with *volumes* as its disks, in the order given."""
        if instance in self.running:      # a resumed flow boots again
            return {'pid': self.running[instance][0].pid}
        attached, disk_args = [], []
        try:
            for index, volume in enumerate(volumes):
                data = volume['connection_info']['data']
                device = self.connector.connect_volume(data)
                attached.append((data, device))
                disk_args += disk_arguments(index, volume, device['path'])
            process = subprocess.Popen(
                self.vm_command(instance, disk_args),
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)
        except BaseException:
            self._disconnect(attached)
            raise
        self.running[instance] = (process, attached)
        return {'pid': process.pid}

    def revert(self, instance: str, host: str | None,
               volumes: list[dict]) -> None:
        """The workflow gave up on *instance* (it deletes the volumes)."""
        self._stop(instance)

    def delete(self, instance: str, volumes: list[str]) -> None:
        """Stop *instance*, then disconnect and delete its volumes.

        :param volumes: the names of its volumes (the placement's).
        """
        self._stop(instance)
        for name in volumes:
            try:
                self.api.delete_volume(name)
            except exception.VolumeNotFound:
                pass                  # deleted already: delete is repeatable

    def _stop(self, instance: str) -> None:
        process, attached = self.running.pop(instance, (None, []))
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)   # the VM shuts down
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._disconnect(attached)

    def _disconnect(self, attached: list[tuple[dict, dict]]) -> None:
        for data, device in attached:
            self.connector.disconnect_volume(data, device)


# -- the test VM (tools/guest) ---------------------------------------------

REPORT = ('modprobe virtio_blk && for disk in /sys/block/vd*; do '
          'echo "$(cat $disk/serial) $(( $(cat $disk/size) * 512 ))"; '
          'done > %(report)s.new && mv %(report)s.new %(report)s && '
          'exec sleep 86400')
"""What the test VM runs: write ``serial bytes`` per disk it sees, then
keep running until it is stopped."""


def test_vm(out_dir: str, memory: str = '512M', timeout: int = 600
            ) -> typing.Callable[[str, list[str]], list[str]]:
    """A ``vm_command`` booting this repository's test VM with the disks,
    reporting them in ``<out_dir>/<instance>/disks``."""
    def command(instance: str, disk_args: list[str]) -> list[str]:
        out = os.path.join(out_dir, instance)
        os.makedirs(out, exist_ok=True)
        spread = []
        for option, value in zip(disk_args[::2], disk_args[1::2],
                                 strict=True):
            spread += ['-' + option, value]    # run's --drive, --device
        return [str(TOOLS / 'run'), '--out', out, '--memory', memory,
                '--timeout', str(timeout), *spread, '--', 'sh', '-c',
                REPORT % {'report': os.path.join(out, 'disks')}]
    return command


def disks_seen(out_dir: str, instance: str, timeout: float = 240
               ) -> dict[str, int]:
    """``{serial: bytes}`` the guest reported, once it has."""
    report = os.path.join(out_dir, instance, 'disks')
    deadline = time.monotonic() + timeout
    while not os.path.exists(report):
        if time.monotonic() > deadline:
            raise TimeoutError('%s reported no disks in %d s; console: %s'
                               % (instance, timeout, os.path.join(
                                   out_dir, instance, 'guest-console.log')))
        time.sleep(0.5)
    with open(report, encoding='utf-8') as lines:
        return {serial: int(size) for serial, size in
                (line.split() for line in lines if line.strip())}


def run(service: brick_api.API) -> brick_api.Placement:
    out_dir = os.path.join(service.conf.brick.data_dir, 'vms')
    instances = QemuInstances(service, test_vm(out_dir))
    service.handlers.register('qemu', instances)
    placed = service.boot_instance('vm1', 'qemu', volumes=[
        {'size': 48 << 20, 'format': 'raw'},
        {'size': 80 << 20, 'format': 'qcow2'}])
    cluster.show(placed)
    print('  the guest sees: %s' % disks_seen(out_dir, 'vm1'))
    instances.delete('vm1', [volume.name for volume in placed.volumes])
    print('  deleted vm1 and its volumes')
    return placed


if __name__ == '__main__':
    sys.exit(cluster.main(run, __doc__))
