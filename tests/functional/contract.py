# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The contract every volume driver keeps, as one reusable test class.

A driver's functional test module subclasses :class:`DriverContract` and
provides fixtures; pytest collects the inherited ``test_*`` methods::

    class TestRawContract(contract.DriverContract):

        @pytest.fixture
        def driver(self, tmp_path):
            driver = drivers.load('raw', path=str(tmp_path / 'pool'))
            driver.check()
            return driver

        @pytest.fixture
        def make_unmanaged(self, driver):
            def make(name, size):
                subprocess.run(['truncate', '-s', str(size),
                                os.path.join(driver.path, name)], check=True)
            return make

Fixtures (pytest fixtures defined on the subclass):

``driver`` (required)
    A driver whose ``check()`` passed, on an empty pool that the test owns
    (a temporary directory, a VG on a loop device).  The fixture cleans up.
``make_unmanaged`` (required)
    ``make(name, size)`` creates a volume *out of band* with the bare tool
    (``truncate``, ``qemu-img create``, ``lvcreate``), as an administrator
    would; brick must discover it as ``managed=False`` and count it.
``host_state`` (optional)
    ``state()`` returns a comparable picture of the backend as the host
    sees it, not as the driver reports it: the directory tree with sizes,
    modes and mtimes, or ``lvs``/``vgs`` JSON.  Tests of bad input compare
    it before and after.  The default uses ``driver.list()`` only.
``volume_io`` (optional)
    None (the default), or an object with ``write(name, offset, data)``
    and ``read(name, offset, length) -> bytes`` working on the volume's
    *content* (through qemu-io, qemu-img convert, or the block device).
    With it, the capability tests also check data; without it they check
    metadata only (the LVM metadata tier has no devices to read).
``size`` (optional)
    The size of the test volumes; default 4 MiB rounded up to the
    driver's step.  Keep it small: some tests copy volumes.

Class attributes:

``DEVICE_TESTS``
    Names of contract tests that cannot run without activated devices
    (e.g. ``{'test_snapshots'}`` for lvm-thin).  They get the ``device``
    marker (deselect with ``-m 'not device'`` on the host, run them in the
    QEMU guest) and skip where the kernel has no device-mapper
    (override the autouse fixture ``_device_tier`` to decide otherwise).
``FREE_IS_EXACT``
    True when nothing but the test touches the backend's free space (a
    test VG), so a thick create must lower ``free`` by exactly its size.
    False for file pools, whose file system other processes share.

Optional capabilities are exercised only when the driver declares them;
when it does not, the test asserts that the method raises
:class:`brick.exception.NotSupported` and changes nothing.
"""

import functools
import os

import pytest

from brick import exception
from brick import units
from brick.drivers.volume import Capability

BAD_NAMES = ['a/b', '../etc', '..', 'a..b', 'a b', '$(x)', 'a;b', '-rf',
             '', 'x' * 64, None, 5, 'vol\n', 'a:b', '.hidden']

_MAX_DATA = 64 * units.Ki


BAD_SIZES = ['negative', 'zero', 'float', 'str', 'human str', 'bool',
             'unaligned']


def _bad_size(label, step, size):
    return {'negative': -size, 'zero': 0, 'float': float(size),
            'str': str(size), 'human str': '4M', 'bool': True,
            'unaligned': size + step // 2 if step > 1 else None}[label]


def _copy(test):
    @functools.wraps(test)
    def copy(*args, **kwargs):
        return test(*args, **kwargs)
    return copy


def _key(volume):
    return (volume.name, volume.size, volume.format, volume.managed)


class DriverContract:
    """Tests every volume driver must pass (see the module docstring)."""

    DEVICE_TESTS = frozenset()
    FREE_IS_EXACT = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # Mark copies, not the inherited functions, so one driver's device
        # list does not leak into another driver's class.  Sorted: the
        # copies land in the class's __dict__ in this order, which is the
        # order pytest collects them in, and a frozenset's iteration order
        # changes with the hash seed (pytest-xdist's workers each have
        # their own, and abort when they collect different lists).
        for name in sorted(cls.DEVICE_TESTS):
            setattr(cls, name, pytest.mark.device(_copy(getattr(cls, name))))

    # -- default fixtures --------------------------------------------------

    @pytest.fixture(autouse=True)
    def _device_tier(self, request):
        # Ask the kernel: libdevmapper creates /dev/mapper/control even
        # where the kernel has no device-mapper (this host).
        if (request.node.get_closest_marker('device')
                and not os.path.exists('/sys/class/misc/device-mapper')):
            pytest.skip('needs activated device-mapper volumes (device '
                        'tier: run inside the QEMU guest)')

    @pytest.fixture
    def host_state(self, driver):
        return lambda: sorted(_key(v) for v in driver.list())

    @pytest.fixture
    def volume_io(self):
        return None

    @pytest.fixture
    def size(self, driver):
        return units.round_up(4 * units.Mi, driver.step())

    # -- helpers -----------------------------------------------------------

    def names(self, driver):
        return sorted(v.name for v in driver.list())

    def fill(self, volume_io, name, byte, offset=0):
        """Write a recognisable pattern; returns it (None without I/O)."""
        if volume_io is None:
            return None
        data = bytes([byte]) * _MAX_DATA
        volume_io.write(name, offset, data)
        return data

    def assert_data(self, volume_io, name, expected, offset=0):
        if volume_io is not None and expected is not None:
            assert volume_io.read(name, offset, len(expected)) == expected

    def state(self, driver, host_state):
        """The pool as the host and as the driver see it."""
        return host_state(), sorted(_key(v) for v in driver.list())

    def beyond(self, driver):
        report = driver.capacity()
        limit = int(report.total * report.allocation_ratio)
        return units.round_up(limit + driver.step(), driver.step())

    # -- create, get, list, delete ----------------------------------------

    def test_step_is_reported(self, driver):
        step = driver.step()
        assert isinstance(step, int) and step > 0
        assert driver.capacity().step == step

    def test_round_trip(self, driver, size):
        assert driver.list() == []
        volume = driver.create('vol-1', size)
        assert (volume.name, volume.size, volume.managed) == (
            'vol-1', size, True)
        assert volume.format in ('raw', 'qcow2', 'vdi')
        assert driver.get('vol-1') == volume
        assert [_key(v) for v in driver.list()] == [_key(volume)]
        driver.delete('vol-1')
        assert driver.list() == []
        with pytest.raises(exception.VolumeNotFound):
            driver.get('vol-1')

    def test_create_is_idempotent(self, driver, size):
        first = driver.create('vol-1', size)
        again = driver.create('vol-1', size)
        assert _key(again) == _key(first)
        assert self.names(driver) == ['vol-1']

    def test_create_with_other_size_conflicts(self, driver, size,
                                              host_state):
        driver.create('vol-1', size)
        before = host_state()
        with pytest.raises(exception.VolumeExists) as err:
            driver.create('vol-1', size * 2)
        assert 'vol-1' in str(err.value)
        assert host_state() == before
        assert driver.get('vol-1').size == size

    def test_delete_missing_is_fine(self, driver, host_state):
        before = host_state()
        driver.delete('never-was')
        driver.delete('never-was')
        assert host_state() == before

    def test_missing_volume_is_not_found(self, driver, size):
        for call in (lambda: driver.get('nope'),
                     lambda: driver.extend('nope', size),
                     lambda: driver.attach('nope')):
            with pytest.raises(exception.VolumeNotFound) as err:
                call()
            assert 'nope' in str(err.value)

    # -- extend ------------------------------------------------------------

    def test_extend(self, driver, size, volume_io):
        driver.create('vol-1', size)
        data = self.fill(volume_io, 'vol-1', 0x5A)
        grown = driver.extend('vol-1', size * 2)
        assert grown.size == size * 2
        assert driver.get('vol-1').size == size * 2
        self.assert_data(volume_io, 'vol-1', data)

    def test_extend_to_same_size_is_noop(self, driver, size, host_state):
        driver.create('vol-1', size)
        before = host_state()
        assert driver.extend('vol-1', size).size == size
        assert host_state() == before

    def test_extend_smaller_is_rejected(self, driver, size, host_state):
        driver.create('vol-1', size * 2)
        before = host_state()
        with pytest.raises(exception.InvalidSize) as err:
            driver.extend('vol-1', size)
        assert 'shrink' in str(err.value)
        assert host_state() == before

    # -- attach ------------------------------------------------------------

    def test_attach_and_detach_twice(self, driver, size):
        volume = driver.create('vol-1', size)
        first = driver.attach('vol-1')
        assert driver.attach('vol-1') == first
        assert first['driver_volume_type'] == 'local'
        data = first['data']
        assert data['device_path'] == volume.path
        assert data['format'] == volume.format
        assert data['name'] == 'vol-1'
        driver.detach('vol-1')
        driver.detach('vol-1')
        driver.detach('never-attached')

    def test_os_brick_local_connector_accepts_it(self, driver, size):
        from os_brick.initiator import connector

        driver.create('vol-1', size)
        info = driver.attach('vol-1')
        local = connector.InitiatorConnector.factory('LOCAL', None)
        device = local.connect_volume(info['data'])
        assert device == {'type': 'local',
                          'path': info['data']['device_path']}
        local.disconnect_volume(info['data'], device)
        driver.detach('vol-1')

    # -- capacity ----------------------------------------------------------

    def check_report(self, driver, report):
        assert 0 <= report.free <= report.total
        assert report.allocation_ratio >= 1.0
        assert report.step == driver.step()
        assert report.max_volume >= 0
        assert report.max_volume % report.step == 0
        assert report.max_volume <= max(
            0, report.total * report.allocation_ratio - report.provisioned)
        volumes = driver.list()
        assert report.volumes == len(volumes)
        assert report.provisioned == sum(v.size for v in volumes)
        unmanaged = [v for v in volumes if not v.managed]
        assert report.unmanaged_volumes == len(unmanaged)
        assert report.unmanaged == sum(v.size for v in unmanaged)

    def test_capacity_adds_up(self, driver, size):
        before = driver.capacity()
        self.check_report(driver, before)
        assert (before.provisioned, before.volumes) == (0, 0)
        driver.create('vol-1', size)
        after = driver.capacity()
        self.check_report(driver, after)
        assert after.total == before.total
        assert after.provisioned == size
        assert after.volumes == 1
        assert after.unmanaged_volumes == 0
        if self.FREE_IS_EXACT and not driver.supports(Capability.THIN):
            assert after.free == before.free - size

    def test_unmanaged_volume_is_discovered_and_counted(
            self, driver, size, make_unmanaged):
        driver.create('mine', size)
        before = driver.capacity()
        make_unmanaged('theirs', size * 2)
        volumes = {v.name: v for v in driver.list()}
        assert set(volumes) == {'mine', 'theirs'}
        assert volumes['mine'].managed is True
        assert volumes['theirs'].managed is False
        assert volumes['theirs'].size == size * 2
        assert driver.get('theirs') == volumes['theirs']
        after = driver.capacity()
        self.check_report(driver, after)
        assert after.volumes == before.volumes + 1
        assert after.unmanaged_volumes == 1
        assert after.unmanaged == size * 2
        assert after.provisioned == before.provisioned + size * 2

    def test_thin_volumes_allocate_on_write(self, driver, size):
        volume = driver.create('vol-1', size)
        if volume.allocated is None:
            return
        if driver.supports(Capability.THIN):
            assert volume.allocated < size
        else:
            assert volume.allocated >= size

    # -- bad input ---------------------------------------------------------

    @pytest.mark.parametrize('bad', BAD_NAMES, ids=repr)
    def test_bad_name_changes_nothing(self, driver, size, host_state, bad):
        driver.create('keep', size)
        before = self.state(driver, host_state)
        calls = [lambda: driver.create(bad, size),
                 lambda: driver.delete(bad),
                 lambda: driver.extend(bad, size * 2),
                 lambda: driver.get(bad),
                 lambda: driver.attach(bad),
                 lambda: driver.detach(bad)]
        for call in calls:
            with pytest.raises(exception.InvalidName) as err:
                call()
            assert 'volume name' in str(err.value)
            assert repr(bad) in str(err.value)
        assert self.state(driver, host_state) == before

    @pytest.mark.parametrize('label', BAD_SIZES)
    def test_bad_size_changes_nothing(self, driver, size, host_state,
                                      label):
        bad = _bad_size(label, driver.step(), size)
        if bad is None:
            pytest.skip('step 1: every integer size is aligned')
        driver.create('keep', size)
        before = self.state(driver, host_state)
        for call in (lambda: driver.create('new', bad),
                     lambda: driver.extend('keep', bad)):
            with pytest.raises(exception.InvalidSize) as err:
                call()
            assert 'size' in str(err.value), label
        assert self.state(driver, host_state) == before
        assert driver.get('keep').size == size

    def test_beyond_the_pool_changes_nothing(self, driver, size,
                                             host_state):
        driver.create('keep', size)
        before = self.state(driver, host_state)
        huge = self.beyond(driver)
        with pytest.raises(exception.InsufficientCapacity) as err:
            driver.create('huge', huge)
        assert str(huge) in str(err.value)
        with pytest.raises(exception.InsufficientCapacity):
            driver.extend('keep', huge)
        assert self.state(driver, host_state) == before
        assert self.names(driver) == ['keep']

    # -- optional capabilities ---------------------------------------------

    def assert_not_supported(self, driver, host_state, *calls):
        before = host_state()
        for call in calls:
            with pytest.raises(exception.NotSupported):
                call()
        assert host_state() == before

    def test_snapshots(self, driver, size, host_state, volume_io):
        driver.create('vol-1', size)
        if not driver.supports(Capability.SNAPSHOT):
            return self.assert_not_supported(
                driver, host_state,
                lambda: driver.create_snapshot('vol-1', 'snap-1'),
                lambda: driver.list_snapshots('vol-1'),
                lambda: driver.revert_snapshot('vol-1', 'snap-1'),
                lambda: driver.delete_snapshot('vol-1', 'snap-1'))
        data = self.fill(volume_io, 'vol-1', 0x11)
        snap = driver.create_snapshot('vol-1', 'snap-1')
        assert (snap.name, snap.volume, snap.size) == (
            'snap-1', 'vol-1', size)
        assert driver.create_snapshot('vol-1', 'snap-1').name == 'snap-1'
        assert [s.name for s in driver.list_snapshots('vol-1')] == [
            'snap-1']
        self.fill(volume_io, 'vol-1', 0x22)
        driver.revert_snapshot('vol-1', 'snap-1')
        self.assert_data(volume_io, 'vol-1', data)
        with pytest.raises(exception.SnapshotNotFound):
            driver.revert_snapshot('vol-1', 'nope')
        with pytest.raises(exception.VolumeNotFound):
            driver.create_snapshot('nope', 'snap-1')
        with pytest.raises(exception.InvalidName):
            driver.create_snapshot('vol-1', 'a/b')
        driver.delete_snapshot('vol-1', 'snap-1')
        driver.delete_snapshot('vol-1', 'snap-1')
        assert driver.list_snapshots('vol-1') == []
        assert self.names(driver) == ['vol-1']

    def test_clone(self, driver, size, host_state, volume_io):
        driver.create('src', size)
        if not driver.supports(Capability.CLONE):
            return self.assert_not_supported(
                driver, host_state, lambda: driver.clone('src', 'copy'))
        data = self.fill(volume_io, 'src', 0x33)
        copy = driver.clone('src', 'copy')
        assert (copy.name, copy.size, copy.managed) == ('copy', size, True)
        self.assert_data(volume_io, 'copy', data)
        self.fill(volume_io, 'copy', 0x44)
        self.assert_data(volume_io, 'src', data)
        with pytest.raises(exception.VolumeExists):
            driver.clone('src', 'copy')
        with pytest.raises(exception.VolumeNotFound):
            driver.clone('nope', 'other')
        driver.delete('src')
        assert self.names(driver) == ['copy']

    def test_clone_overlay(self, driver, size, host_state, volume_io):
        driver.create('src', size)
        if not driver.supports(Capability.CLONE_OVERLAY):
            return self.assert_not_supported(
                driver, host_state,
                lambda: driver.clone('src', 'child', overlay=True))
        data = self.fill(volume_io, 'src', 0x55)
        child = driver.clone('src', 'child', overlay=True)
        assert (child.name, child.size) == ('child', size)
        assert child.backing == 'src'
        self.assert_data(volume_io, 'child', data)
        self.fill(volume_io, 'child', 0x66)
        self.assert_data(volume_io, 'src', data)
        try:
            driver.delete('src')
        except exception.VolumeBusy as err:
            assert 'child' in str(err)  # names who depends on it
            driver.delete('child')
            driver.delete('src')
        else:
            assert driver.get('child').size == size
        assert 'src' not in self.names(driver)

    def test_shrink(self, driver, size, host_state, volume_io):
        driver.create('vol-1', size * 2)
        if not driver.supports(Capability.SHRINK):
            return self.assert_not_supported(
                driver, host_state, lambda: driver.shrink('vol-1', size))
        data = self.fill(volume_io, 'vol-1', 0x77)
        assert driver.shrink('vol-1', size).size == size
        assert driver.get('vol-1').size == size
        self.assert_data(volume_io, 'vol-1', data)
        before = host_state()
        with pytest.raises(exception.InvalidSize):
            driver.shrink('vol-1', size * 2)
        assert host_state() == before

    def test_copy_image(self, driver, size, host_state, volume_io,
                        tmp_path):
        driver.create('vol-1', size)
        image = str(tmp_path / 'exported.raw')
        if not driver.supports(Capability.COPY_IMAGE):
            return self.assert_not_supported(
                driver, host_state,
                lambda: driver.export_image('vol-1', image),
                lambda: driver.import_image('vol-2', image, 'raw'))
        data = self.fill(volume_io, 'vol-1', 0x88)
        driver.export_image('vol-1', image, 'raw')
        assert os.path.getsize(image) == size
        if data is not None:
            with open(image, 'rb') as f:
                assert f.read(len(data)) == data
        imported = driver.import_image('vol-2', image, 'raw')
        assert (imported.name, imported.size, imported.managed) == (
            'vol-2', size, True)
        self.assert_data(volume_io, 'vol-2', data)
        before = host_state()
        with pytest.raises(exception.VolumeExists):
            driver.import_image('vol-2', image, 'raw')
        assert host_state() == before
