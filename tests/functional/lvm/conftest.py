# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Fixtures for the two LVM tiers (see loopvg.py and TESTING.md)."""

import os

import pytest

from brick import units
from brick.local import lvm
from tests import conftest
from tests.functional.lvm import loopvg

DEVICE_TIER_REASON = 'device tier: runs inside the QEMU guest'
POOL = 'pool0'


def _require_lvm():
    conftest.require_root('loop devices and lvm2 need root')
    conftest.require_tool('lvm', 'losetup')


@pytest.fixture
def metadata_vg():
    """A 256 MiB VG on a loop device with activation off (any host)."""
    _require_lvm()
    with loopvg.loop_volume_group(activation=False) as vg:
        yield vg


@pytest.fixture(scope='module')
def _shared_device_vg():
    if not loopvg.device_mapper_works():
        pytest.skip(DEVICE_TIER_REASON)
    _require_lvm()
    with loopvg.loop_volume_group(size=384 * units.Mi,
                                  activation=True) as vg:
        lvm.LVM(vg.executor, config=vg.config,
                devices=[vg.device]).create_thin_pool(vg.name, POOL,
                                                      128 * units.Mi)
        yield vg


@pytest.fixture
def device_vg(_shared_device_vg):
    """A 384 MiB VG whose LVs activate (device tier only), with the thin
    pool ``pool0``.

    Under TCG every lvm2 command costs about a second, so one VG serves a
    whole module: after each test every LV but the pool is removed.
    """
    vg = _shared_device_vg
    yield vg
    vg.lvm('lvremove', '--yes', '--select',
           'lv_role=public && lv_name!="%s"' % POOL, vg.name)


@pytest.fixture
def thin_pool(device_vg):
    """The 128 MiB thin pool of ``device_vg``."""
    return POOL


class BlockIO:
    """The contract's ``volume_io``: read and write a volume's device."""

    def __init__(self, driver):
        self.driver = driver

    def _device(self, name):
        return self.driver.attach(name)['data']['device_path']

    def write(self, name, offset, data):
        with open(self._device(name), 'r+b', buffering=0) as device:
            device.seek(offset)
            device.write(data)
            device.flush()
            os.fsync(device.fileno())
        self.driver.detach(name)

    def read(self, name, offset, length):
        with open(self._device(name), 'rb', buffering=0) as device:
            device.seek(offset)
            data = device.read(length)
        self.driver.detach(name)
        return data
