# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
import pytest

from brick import drivers
from brick import exception
from brick.drivers import base


def test_every_builtin_driver_is_registered():
    assert {'raw', 'qcow2', 'vdi', 'lvm', 'lvm-thin'} <= set(drivers.names())


@pytest.mark.parametrize('name', ['nope', '', None, 'RAW', '../raw'])
def test_unknown_driver_names_the_available_ones(name):
    with pytest.raises(exception.DriverNotFound) as err:
        drivers.load(name)
    assert 'raw' in str(err.value) and 'lvm-thin' in str(err.value)
    assert isinstance(err.value, exception.InvalidInput)


def test_unknown_driver_option_names_the_known_ones(tmp_path):
    with pytest.raises(exception.InvalidValue) as err:
        drivers.load('raw', path=str(tmp_path), colour='blue')
    assert "'colour'" in str(err.value) and 'path' in str(err.value)


def test_load_touches_nothing(tmp_path):
    pool = tmp_path / 'pool'
    driver = drivers.load('raw', path=str(pool))
    assert isinstance(driver, base.VolumeDriver)
    assert driver.pool == 'raw'
    assert not pool.exists()


def test_every_driver_declares_only_what_it_implements():
    optional = {
        base.Capability.SNAPSHOT: ('_create_snapshot', '_list_snapshots',
                                   '_delete_snapshot', '_revert_snapshot'),
        base.Capability.CLONE: ('_clone',),
        base.Capability.CLONE_OVERLAY: ('_clone',),
        base.Capability.SHRINK: ('_shrink',),
        base.Capability.COPY_IMAGE: ('_import_image', '_export_image'),
    }
    for name in drivers.names():
        cls = drivers.driver_class(name)
        assert cls.name == name
        for capability, methods in optional.items():
            implemented = all(getattr(cls, m) is not getattr(
                base.VolumeDriver, m) for m in methods)
            if capability in cls.capabilities:
                assert implemented, (name, capability)
        for method in ('_shrink', '_create_snapshot', '_import_image'):
            if getattr(cls, method) is not getattr(base.VolumeDriver,
                                                   method):
                assert any(method in methods for cap, methods in
                           optional.items() if cap in cls.capabilities), (
                    name, method)


def test_undeclared_capability_raises_before_anything_runs(tmp_path):
    driver = drivers.load('raw', path=str(tmp_path))
    if base.Capability.SNAPSHOT in driver.capabilities:
        pytest.skip('raw grew snapshots; pick another capability')
    with pytest.raises(exception.NotSupported) as err:
        driver.create_snapshot('vol', 'snap')
    assert 'raw' in str(err.value) and 'snapshots' in str(err.value)


def test_from_conf_builds_configured_pools(conf, tmp_path):
    conf.set_override('pools', ['fast'], 'brick_node')
    conf.register_opts(drivers.COMMON_OPTS, group='pool:fast')
    conf.set_override('driver', 'raw', 'pool:fast')
    conf.register_opts(drivers.driver_class('raw').OPTS, group='pool:fast')
    conf.set_override('path', str(tmp_path), 'pool:fast')
    pools = drivers.node_pools(conf)
    assert list(pools) == ['fast']
    assert pools['fast'].name == 'raw' and pools['fast'].pool == 'fast'


def test_from_conf_without_a_section_is_pool_not_found(conf):
    with pytest.raises(exception.PoolNotFound, match=r'\[pool:ghost\]'):
        drivers.from_conf(conf, 'ghost')


def test_default_node_pools_are_the_file_pools(conf):
    pools = drivers.node_pools(conf)
    assert list(pools) == ['raw', 'qcow2', 'vdi']
    assert all(driver.name == name for name, driver in pools.items())
