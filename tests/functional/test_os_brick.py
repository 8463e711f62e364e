# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""A compute service attaches brick's file volumes with os-brick's LOCAL
connector, unchanged, as Nova does for a Cinder volume."""

import os

import pytest
from os_brick.initiator import connector

from brick import drivers
from brick.local import executor
from tests.conftest import require_tool


@pytest.mark.parametrize('kind', ['raw', 'qcow2', 'vdi'])
def test_local_connector_attaches_our_path(tmp_path, kind):
    if kind != 'raw':
        require_tool('qemu-img')
    driver = drivers.load(kind, executor=executor.Executor(),
                          path=str(tmp_path / kind))
    driver.check()
    volume = driver.create('vol-1', 8 << 20)
    info = driver.attach('vol-1')
    assert info['driver_volume_type'] == 'local'

    local = connector.InitiatorConnector.factory(
        info['driver_volume_type'].upper(), None)
    device = local.connect_volume(info['data'])
    assert device == {'type': 'local', 'path': volume.path}
    assert os.path.isfile(device['path'])
    assert local.get_volume_paths(info['data']) == [volume.path]
    assert info['data']['format'] == kind      # what the hypervisor opens
    local.disconnect_volume(info['data'], device)
    driver.detach('vol-1')

    # Attaching again after detach gives the same answer.
    assert local.connect_volume(driver.attach('vol-1')['data']) == device
    local.disconnect_volume(info['data'], device)
    driver.detach('vol-1')
    driver.delete('vol-1')
    assert not os.path.exists(volume.path)
