# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""A small site and workload the simulation tests share."""

SITE = """\
zones: [{name: z1}]
racks:
  - {name: r1, zone: z1}
  - {name: r2, zone: z1}
hosts:
  - {name: h1, rack: r1}
  - {name: h2, rack: r1}
  - {name: h3, rack: r2}
  - {name: h4, rack: r2}
pools:
  - {name: ssd, driver: lvm, host: h1, total: 1T, tags: [ssd], cost: 2}
  - {name: ssd, driver: lvm, host: h2, total: 1T, tags: [ssd], cost: 2}
  - {name: hdd, driver: lvm, host: h3, total: 4T, tags: [hdd], cost: 1}
  - {name: hdd, driver: lvm, host: h4, total: 4T, tags: [hdd], cost: 1}
  - {name: nfs, driver: qcow2, rack: r2, total: 10T, cost: 0.5}
"""

WORKLOAD = """\
duration: 2d
sample_every: 2h
kinds:
  - name: web
    flavor: {"brick:local_gb": "40"}
    rate: 10/h
    lifetime: {exponential: 1d}
  - name: db
    args: {driver: lvm, tags: ssd}
    size: {lognormal: {median: 200G, sigma: 0.5}}
    boot: 0.7
    rate: 2/h
    lifetime: 3d
  - name: scratch
    args: {driver: qcow2, locality: any}
    size: {choice: {20G: 3, 100G: 1}}
    rate: 1/h
"""
