# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Flow records with and without persistence: the same outcomes, and
what stays in the records' tables."""

import pytest
import sqlalchemy as sa

from brick import exception
from brick import units
from tests.functional.workflow import fakes

SIZE = 8 * units.Mi


def flow_rows(db):
    with db.engine.connect() as conn:
        return conn.execute(sa.text('SELECT COUNT(*) FROM flow_details')
                            ).scalar()


@pytest.mark.parametrize('persist', [True, False])
def test_retry_then_commit_and_failure_then_clean(site, persist):
    hv = fakes.Hypervisor(fail=1)
    service = site.api(handlers={'hv': hv}, persist=persist)
    for _ in range(2):  # a second run reuses the flow built for the first
        placed = service.boot_instance('vm%d' % len(hv.running), 'hv',
                                       size=SIZE, driver='raw')
        site.assert_committed(placed)
    assert len(hv.boots) == 3 and len(hv.reverts) == 1
    assert flow_rows(site.db) == 0
    assert service.runner.unfinished() == []

    failing = fakes.Hypervisor(fail=-1)
    service.handlers.register('bad', failing)
    with pytest.raises(exception.PlacementFailed):
        service.boot_instance('vm9', 'bad', size=SIZE,
                              driver='raw')
    assert len(failing.reverts) == 3
    assert flow_rows(site.db) == 0
    assert site.allocations('vm9') == []
    assert site.live() == []


def test_finished_flows_are_kept_when_asked(site):
    service = site.api(handlers={'hv': fakes.Hypervisor()},
                       keep_finished=True)
    placed = service.boot_instance('vm1', 'hv', size=SIZE, driver='raw')
    record = service.runner.store.load(placed.flow_id)
    detail = record.detail
    assert detail.state == 'SUCCESS'
    assert record.meta['outcome']['placement']['consumer'] == 'vm1'
    assert record.meta['consumer'] == 'vm1'
    states = {atom.name.rsplit('.', 1)[-1]: atom.state for atom in detail}
    assert states['CommitTask'] == 'SUCCESS'
    assert states['ReserveTask'] == 'SUCCESS'
    assert service.runner.unfinished() == []
