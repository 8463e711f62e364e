# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Place a volume by hand: inventory, capacity report, decision, claim,
create, commit -- the steps the placement workflow automates.

Runs anywhere: an SQLite inventory and a raw file pool in a temporary
directory.  Run by tests/docs/test_examples.py.
"""

import tempfile

from brick import drivers
from brick import units
from brick.db import engine
from brick.db import migration
from brick.inventory import declarative
from brick.inventory import file as inventory_file
from brick.inventory import pools
from brick.inventory import reports
from brick.inventory import reservations
from brick.scheduler import cache
from brick.scheduler import request
from brick.scheduler import selector
from brick.scheduler import source as source_mod

INVENTORY = """
zones: [{name: zone-a}]
racks: [{name: rack-1, zone: zone-a}]
hosts: [{name: compute-1, rack: rack-1}, {name: compute-2, rack: rack-1}]
pools:
  - {name: local, driver: raw, host: compute-1, tags: [ssd]}
  - {name: local, driver: raw, host: compute-2, tags: [hdd], cost: 2}
"""

with tempfile.TemporaryDirectory() as tmp:
    # 1. The inventory: a database, its schema, and the declared pools.
    db = engine.Database('sqlite:///%s/brick.sqlite' % tmp)
    migration.upgrade(db)
    for change in declarative.apply(db, inventory_file.parse(INVENTORY)):
        print(change)

    # 2. Each node reports what its pools really hold (here both "hosts"
    #    share this machine, each with its own directory).
    node = {}
    for host in ('compute-1', 'compute-2'):
        driver = drivers.load('raw', path='%s/%s' % (tmp, host))
        driver.check()
        pool = pools.find_pool(db, 'local', host=host)
        reports.apply_report(db, pool.id, driver.capacity())
        node[pool.key] = driver

    # 3. A decision for a flavor asking for 10 GiB on SSD.
    state = cache.StateCache()
    chooser = selector.Selector(state, source=source_mod.StoreSource(db))
    spec = request.build(flavor={'brick:local_gb': '10',
                                 'brick:tags': 'ssd'})
    decision = chooser.select(spec)
    best = decision.best
    print('chosen:', best.describe())

    # 4. Reserve the space atomically, create the volume, commit.
    placement = best.placements[0]
    held = reservations.claim(db, 'instance-1',
                              [(placement.pool_id, placement.size)])
    chooser.claim(best)
    volume = node[placement.pool].create('instance-1-disk0', placement.size)
    reservations.commit(db, request_id=held[0].request_id)
    print('created %s (%s) at %s' % (volume.name, units.human(volume.size),
                                     volume.path))
    for pool in pools.list_pools(db):
        print('%s: %s used of %s' % (pool.key, units.human(pool.used),
                                     units.human(pool.capacity)))
    db.dispose()
