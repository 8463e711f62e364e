# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""A process killed (SIGKILL) between creating the volumes and booting
the instance; its flow is resumed by another process, here the test's.
"""

import os
import signal
import subprocess
import sys

import pytest

from brick import exception
from tests.functional.workflow import fakes

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


def crash(database_url, site):
    child = subprocess.run(
        [sys.executable, '-m', 'tests.functional.workflow.crash_child',
         database_url, site.root], cwd=ROOT, capture_output=True,
        text=True, timeout=120, check=False)
    assert child.returncode == -signal.SIGKILL, child.stderr
    # Killed after the create: volumes on disk, space reserved, nothing
    # committed, the flow recorded as unfinished.
    files = site.files()
    assert len(files) == 1 and len(list(files.values())[0]) == 2
    assert len(site.live()) >= 2
    assert site.allocations() == []


def test_killed_between_create_and_boot_then_resumed(database_url, site):
    crash(database_url, site)
    hv = fakes.Hypervisor()
    service = site.api(handlers={'hv': hv})
    pending = service.runner.unfinished()
    assert len(pending) == 1
    (done,) = service.resume()
    assert done.flow_id == pending[0].flow_id
    assert done.consumer == 'vm1' and done.placed
    placed = done.outcome
    assert placed.consumer == 'vm1'
    assert hv.running == {'vm1': placed.host}
    site.assert_committed(placed)
    assert list(site.files()) == ['%s/raw' % placed.host]
    assert service.runner.unfinished() == []


def test_resumed_without_its_handler_rolls_back(database_url, site):
    crash(database_url, site)
    service = site.api()  # no boot handler registered
    (done,) = service.resume()
    assert isinstance(done.outcome, exception.HandlerNotFound)
    assert done.consumer == 'vm1' and not done.placed
    site.assert_clean()
    assert service.runner.unfinished() == []
    with pytest.raises(exception.FlowNotFound):
        service.resume(done.flow_id)
