# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
import pytest


@pytest.fixture(autouse=True)
def no_user_config(tmp_path, monkeypatch):
    """Every ``brick`` run here sees no ~/.brick/brick.conf and no
    $BRICK_DATA_DIR of whoever runs the tests."""
    monkeypatch.setenv('HOME', str(tmp_path / 'home'))
    monkeypatch.delenv('BRICK_DATA_DIR', raising=False)
