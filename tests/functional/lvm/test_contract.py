# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The driver contract (tests/functional/contract.py) for lvm and lvm-thin.

* ``TestLvmMetadataContract``: ``lvm`` on this host's metadata tier; the
  two cases that copy data (clone, image copy) are ``device`` tests and
  get an activated VG in the guest.
* ``TestLvmDeviceContract``: ``lvm`` with activated LVs, data checked
  through the block device and ``volume_clear = zero``, for the cases
  that activation changes.
* ``TestLvmThinDeviceContract``: every case for ``lvm-thin`` (device tier
  only: thin pools cannot exist without device-mapper).
"""

import pytest

from tests.functional import contract
from tests.functional.lvm.conftest import BlockIO


class _LvmContract(contract.DriverContract):

    FREE_IS_EXACT = True  # nothing but the test uses its loop VG
    LEFT_OUT = frozenset()
    """Contract tests this class does not run (None hides them)."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in sorted(cls.LEFT_OUT):  # see DriverContract's
            setattr(cls, name, None)

    @pytest.fixture
    def host_state(self, vg):
        return vg.report

    @pytest.fixture
    def make_unmanaged(self, vg):
        def make(name, size):
            vg.lvm('lvcreate', '--yes', '-Zn', '--name', name, '--size',
                   '%db' % size, vg.name)
        return make


class TestLvmMetadataContract(_LvmContract):

    DEVICE_TESTS = frozenset({'test_clone', 'test_copy_image'})

    @pytest.fixture
    def vg(self, request):
        device = request.node.get_closest_marker('device') is not None
        fixture = 'device_vg' if device else 'metadata_vg'
        return request.getfixturevalue(fixture)

    @pytest.fixture
    def driver(self, vg):
        driver = vg.driver('lvm', volume_clear='none')
        driver.check()
        return driver

    @pytest.fixture
    def volume_io(self, vg, driver):
        return BlockIO(driver) if vg.activation else None


@pytest.mark.device
class TestLvmDeviceContract(_LvmContract):
    """``lvm`` with activation, data checks and ``volume_clear = zero``.

    Guest time is dear (TCG: about a second per lvm2 command), so the
    cases whose code path does not change with activation are left to
    TestLvmMetadataContract on the host; clone and image copy run there
    too, in the guest.
    """

    LEFT_OUT = frozenset({
        'test_step_is_reported', 'test_create_is_idempotent',
        'test_create_with_other_size_conflicts',
        'test_extend_to_same_size_is_noop', 'test_extend_smaller_is_rejected',
        'test_unmanaged_volume_is_discovered_and_counted',
        'test_thin_volumes_allocate_on_write', 'test_bad_name_changes_nothing',
        'test_bad_size_changes_nothing',
        'test_beyond_the_pool_changes_nothing', 'test_snapshots',
        'test_clone', 'test_clone_overlay', 'test_shrink', 'test_copy_image',
    })

    @pytest.fixture
    def vg(self, device_vg):
        return device_vg

    @pytest.fixture
    def driver(self, vg):
        driver = vg.driver('lvm', volume_clear='zero')
        driver.check()
        return driver

    @pytest.fixture
    def volume_io(self, driver):
        return BlockIO(driver)


@pytest.mark.device
class TestLvmThinDeviceContract(_LvmContract):

    @pytest.fixture
    def vg(self, device_vg):
        return device_vg

    @pytest.fixture
    def driver(self, vg, thin_pool):
        driver = vg.driver('lvm-thin', thin_pool=thin_pool)
        driver.check()
        return driver

    @pytest.fixture
    def make_unmanaged(self, vg, thin_pool):
        def make(name, size):
            vg.lvm('lvcreate', '--yes', '--type', 'thin', '--name', name,
                   '--virtualsize', '%db' % size, '--thinpool', thin_pool,
                   vg.name)
        return make

    @pytest.fixture
    def volume_io(self, driver):
        return BlockIO(driver)
