# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""A small site on this machine: three "hosts" in two racks, each a
directory with a raw and a qcow2 pool, in one SQLite inventory.

Shared by ``compute_service.py``, ``volume_service.py`` and ``demo.py``.
Run twice on the same ``--data-dir``, it finds what the first run made.
"""

import argparse
import contextlib
import os
import tempfile
import warnings

# taskflow probes for eventlet, which warns that it is deprecated.
warnings.filterwarnings('ignore', message='\\s*Eventlet is deprecated')

from oslo_config import cfg  # noqa: E402

import brick.conf  # noqa: E402
from brick import api  # noqa: E402
from brick import drivers  # noqa: E402
from brick.db import engine  # noqa: E402
from brick.db import migration  # noqa: E402
from brick.inventory import declarative  # noqa: E402
from brick.inventory import file as inventory_file  # noqa: E402
from brick.node import agent  # noqa: E402

SITE = """
zones:
  - {name: zone1}
racks:
  - {name: rack1, zone: zone1}
  - {name: rack2, zone: zone1}
hosts:
  - {name: host1, rack: rack1}
  - {name: host2, rack: rack1}
  - {name: host3, rack: rack2}
pools:
"""
HOSTS = ('host1', 'host2', 'host3')
POOLS = ('raw', 'qcow2')


def site_yaml():
    """The inventory: a raw and a qcow2 pool on every host."""
    lines = [SITE]
    for host in HOSTS:
        for pool in POOLS:
            lines.append('  - {name: %s, driver: %s, host: %s}\n'
                         % (pool, pool, host))
    return ''.join(lines)


def make_conf(data_dir):
    """A ConfigOpts of the embedding service, brick's options on it."""
    conf = cfg.ConfigOpts()
    brick.conf.register_opts(conf)
    conf([], project='brick-example', default_config_files=[])
    conf.set_override('data_dir', data_dir, group='brick')
    return conf


def make_nodes(data_dir):
    """One in-process NodeAgent per host, its pools under the data dir."""
    nodes = []
    for host in HOSTS:
        pools = {pool: drivers.load(pool, pool=pool, path=os.path.join(
            data_dir, 'hosts', host, pool)) for pool in POOLS}
        nodes.append(agent.NodeAgent(host, pools))
    return nodes


def start(data_dir):
    """Create (or find) the site in *data_dir* and return a ready API."""
    conf = make_conf(data_dir)
    db = engine.Database.from_conf(conf)
    migration.upgrade(db)
    declarative.apply(db, inventory_file.parse(site_yaml(), 'example'))
    service = api.API(conf, nodes=make_nodes(data_dir), db=db)
    service.setup()  # checks the pools, reports their capacity
    return service


def parse_args(description):
    """``--data-dir D`` (default: a new temporary directory)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('--data-dir', metavar='D',
                        help='where the hosts and the database live '
                             '(default: a temporary directory, removed '
                             'at exit)')
    return parser.parse_args()


def data_dir(args):
    """A context manager yielding the data directory to use."""
    if args.data_dir:
        os.makedirs(args.data_dir, exist_ok=True)
        return contextlib.nullcontext(os.path.abspath(args.data_dir))
    return tempfile.TemporaryDirectory(prefix='brick-example-')


def main(run, description):
    """Run ``run(service)`` on the site in ``--data-dir`` (or a temporary
    directory); return the exit code."""
    args = parse_args(description)
    with data_dir(args) as path:
        service = start(path)
        try:
            run(service)
        finally:
            service.close()
    return 0


def show(placement):
    """Print a placement, one line per volume."""
    print('  %s -> host %s' % (placement.consumer, placement.host))
    for volume in placement.volumes:
        print('    %-14s %-6s %s on %s (%d MiB) %s' % (
            volume.name, volume.format, volume.pool, volume.host,
            volume.size >> 20, volume.connection_info['data']['device_path']))
