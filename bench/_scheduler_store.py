# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The scheduler cache against a real inventory: SQLite filled in bulk.

Used by ``python -m bench scheduler -- --store``: writes a generated site
(:func:`bench.scheduler.build_site`) into a fresh SQLite inventory with
bulk INSERTs (the inventory API writes one row per transaction, too slow
for 200,000 pools), then times a full :class:`StoreSource` load and an
incremental refresh after 1 % of the pools changed.
"""

import datetime
import json
import os
import tempfile
import time

from brick.db import engine
from brick.db import migration
from brick.db import models
from brick.inventory import pools as pools_mod
from brick.scheduler import cache as cache_mod
from brick.scheduler import source as source_mod

_BATCH = 5000


def _insert(conn, table, rows):
    for i in range(0, len(rows), _BATCH):
        conn.execute(table.insert(), rows[i:i + _BATCH])


def fill(db, hosts, pools):
    """Write *hosts* and *pools* (state objects) as inventory rows."""
    now = engine.utcnow() - datetime.timedelta(hours=1)
    stamp = {'created_at': now, 'updated_at': now}
    zones = sorted({h.zone for h in hosts})
    racks = sorted({(h.rack, h.zone) for h in hosts})
    zone_ids = {name: i + 1 for i, name in enumerate(zones)}
    rack_ids = {name: i + 1 for i, (name, _zone) in enumerate(racks)}
    host_ids = {h.name: i + 1 for i, h in enumerate(hosts)}
    # Changes spread over the last hour, as on a real site: the store's
    # refresh re-reads rows near its watermark, not all of them.
    with db.begin() as conn:
        _insert(conn, models.zones, [dict(stamp, id=zone_ids[z], name=z)
                                     for z in zones])
        _insert(conn, models.racks, [
            dict(stamp, id=rack_ids[r], name=r, zone_id=zone_ids[z])
            for r, z in racks])
        step = 3600.0 / max(1, len(hosts))
        _insert(conn, models.hosts, [
            dict(stamp, id=host_ids[h.name], name=h.name,
                 zone_id=zone_ids[h.zone], rack_id=rack_ids[h.rack],
                 state='up' if h.state == 'enabled' else h.state,
                 updated_at=now + datetime.timedelta(seconds=i * step))
            for i, h in enumerate(hosts)])
        step = 3600.0 / max(1, len(pools))
        _insert(conn, models.pools, [
            _pool_row(p, i + 1, host_ids, rack_ids, zone_ids, dict(
                stamp, updated_at=now + datetime.timedelta(seconds=i * step)))
            for i, p in enumerate(pools)])


def _pool_row(pool, pool_id, host_ids, rack_ids, zone_ids, stamp):
    owners = {'host_id': None, 'rack_id': None, 'zone_id': None}
    if pool.scope == 'host':
        owners['host_id'] = host_ids[pool.host]
    elif pool.scope == 'rack':
        owners['rack_id'] = rack_ids[pool.rack]
    else:
        owners['zone_id'] = zone_ids[pool.zone]
    return dict(stamp, **owners, id=pool_id, name=pool.name,
                driver=pool.driver, scope=pool.scope, total=pool.total,
                reserved=pool.reserved,
                allocation_ratio=pool.allocation_ratio,
                capacity=pool.capacity, used=min(pool.used, pool.capacity),
                unmanaged=0, min_unit=pool.min_unit, max_unit=pool.max_unit,
                step=pool.step, max_volume=pool.max_volume, cost=pool.cost,
                role=None, tags=json.dumps(sorted(pool.tags)),
                state=pool.state, generation=0)


def measure(hosts, pools):
    """Return ``(fill s, full load s, refresh s, rows refreshed)``; the
    refresh sees 1 % of the pools changed and one deleted (a
    tombstone)."""
    with tempfile.TemporaryDirectory() as tmp:
        db = engine.Database('sqlite:///%s' % os.path.join(tmp, 'b.sqlite'))
        try:
            migration.upgrade(db)
            start = time.perf_counter()
            fill(db, hosts, pools)
            filled = time.perf_counter() - start
            cache, source = cache_mod.StateCache(), source_mod.StoreSource(db)
            full = cache.refresh(source).seconds
            changed = max(1, len(pools) // 100)
            with db.begin() as conn:
                conn.execute(models.pools.update().where(
                    models.pools.c.id <= changed).values(
                        used=models.pools.c.used + 1,
                        generation=models.pools.c.generation + 1,
                        updated_at=engine.utcnow()))
            pools_mod.delete_pool(db, len(pools))
            stats = cache.refresh(source)
            assert stats.removed == 1
            return filled, full, stats.seconds, stats.pools
        finally:
            db.dispose()
