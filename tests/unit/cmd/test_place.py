# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""``brick place``, ``brick flavor validate`` and ``brick reservation
...`` on a real SQLite inventory."""

import datetime

import pytest

from brick import units
from brick.db import engine
from brick.inventory import reservations
from tests.unit.cmd import run

GiB = units.Gi

INVENTORY = """\
zones: [{name: z1}]
racks: [{name: r1, zone: z1}]
hosts:
  - {name: h1, rack: r1}
  - {name: h2, rack: r1}
  - {name: h3, rack: r1, state: disabled}
pools:
  - {name: fast, driver: lvm, host: h1, total: 100G, cost: 1, tags: [ssd]}
  - {name: slow, driver: lvm, host: h2, total: 500G, cost: 3, tags: [hdd]}
  - {name: big, driver: lvm, host: h3, total: 10T}
  - {name: nfs, driver: qcow2, rack: r1, total: 1T, cost: 5}
"""


class Inventory:

    def __init__(self, capsys, tmp_path):
        self.capsys = capsys
        self.url = 'sqlite:///%s' % (tmp_path / 'inv.sqlite')
        path = tmp_path / 'inventory.yaml'
        path.write_text(INVENTORY)
        done = self('inventory', 'apply', '-f', str(path))
        assert done.code == 0, done.stderr

    def __call__(self, *argv):
        return run(self.capsys, *argv, '--connection', self.url)

    def json(self, *argv):
        return self(*argv, '-f', 'json').json()

    def claim(self, *args, **kwargs):
        db = engine.Database(self.url)
        try:
            return reservations.claim(db, *args, **kwargs)
        finally:
            db.dispose()


@pytest.fixture
def brick(capsys, tmp_path):
    return Inventory(capsys, tmp_path)


class TestPlace:

    def test_candidates_best_first(self, brick):
        found = brick.json('place', '--size', '10G')
        # No consumer named: every pool, the rack's shared one too (h1
        # stands for the hosts of r1), cheapest first.
        assert [(c['rank'], c['host'], c['pools'], c['sizes'],
                 c['distance']) for c in found] == [
            (1, 'h1', ['host:h1/fast'], [10 * GiB], 0),
            (2, 'h2', ['host:h2/slow'], [10 * GiB], 0),
            (3, 'h1', ['rack:r1/nfs'], [10 * GiB], 1)]
        assert set(found[0]['breakdown']) == {'capacity', 'cost',
                                              'locality'}

    def test_options_hints_and_extra_specs(self, brick):
        tagged = brick.json('place', '--property', 'brick:local_gb=10',
                            '--property', 'brick:tags=ssd,unknown',
                            '--tags', 'hdd')
        assert [c['pools'] for c in tagged] == [['host:h2/slow']]
        rack = brick.json('place', '--size', '10G', '--hint',
                          'locality=rack', '--volume-format', 'qcow2',
                          '--on-host', 'h2')
        assert [(c['host'], c['pools'], c['distance']) for c in rack] == [
            ('h2', ['rack:r1/nfs'], 1)]
        two = brick.json('place', '--property', 'brick:count=2',
                         '--property', 'brick:local_gb=40',
                         '--exclude-host', 'h2')
        assert [(c['host'], c['pools'], c['sizes']) for c in two] == [
            ('h1', ['host:h1/fast', 'host:h1/fast'], [40 * GiB, 40 * GiB])]

    def test_nothing_fits_exits_4_with_the_explanation(self, brick):
        plain = brick('place', '--size', '2T')
        assert (plain.code, plain.stdout) == (4, '')
        assert plain.stderr.startswith('brick: No valid host: 1 volume(s) '
                                       'of 2 TiB')
        assert 'capacity removed 3 of 3 pools: host:h1/fast, ' \
            'host:h2/slow, rack:r1/nfs' in plain.stderr
        explained = brick('place', '--size', '2T', '--explain')
        assert explained.code == 4
        lines = explained.stderr.splitlines()
        assert lines[0] == 'request: 1 volume(s) of 2 TiB, locality ' \
                           'required any'
        assert 'filter capacity: 3 examined, 3 removed (host:h1/fast, ' \
            'host:h2/slow, rack:r1/nfs)' in lines
        assert 'no candidate' in lines
        assert lines[-1].startswith('brick: No valid host')

    def test_explain_on_success_keeps_stdout_clean(self, brick):
        done = brick('place', '--size', '10G', '--explain', '-f', 'json')
        assert done.code == 0
        assert [c['host'] for c in done.json()] == ['h1', 'h2', 'h1']
        assert '1. host h1: host:h1/fast (10 GiB)' in done.stderr

    def test_bad_requests_exit_2(self, brick):
        key = brick('place', '--property', 'brick:nope=1', '--size', '1G')
        assert key.code == 2 and "'brick:nope'" in key.stderr
        value = brick('place', '--size', '1G', '--locality', 'moon')
        assert value.code == 2 and "'moon'" in value.stderr
        assert 'host, rack, zone, any' in value.stderr
        pair = brick('place', '--size', '1G', '--hint', 'locality')
        assert pair.code == 2 and 'KEY=VALUE' in pair.stderr
        empty = brick('place')
        assert empty.code == 2 and 'at least one volume' in empty.stderr


class TestFlavorValidate:

    def test_prints_normalised_values(self, capsys):
        done = run(capsys, 'flavor', 'validate', 'brick:local_gb=020',
                   'brick:thin=yes', 'brick:tags=b,a', 'hw:cpu=2',
                   'brick:volume2_format=qcow2', 'brick:count=2', '-f',
                   'json')
        assert done.json() == [
            {'key': 'brick:local_gb', 'value': '20', 'field': 'size'},
            {'key': 'brick:thin', 'value': 'true', 'field': 'thin'},
            {'key': 'brick:tags', 'value': 'a,b', 'field': 'tags'},
            {'key': 'hw:cpu', 'value': '2',
             'field': '(ignored: not brick:)'},
            {'key': 'brick:volume2_format', 'value': 'qcow2',
             'field': 'volume2.format'},
            {'key': 'brick:count', 'value': '2', 'field': 'count'}]

    def test_reports_every_bad_key(self, capsys):
        done = run(capsys, 'flavor', 'validate', 'brick:local_gb=x',
                   'brick:locality=moon', 'brick:nope=1', 'brick:thin=1')
        assert (done.code, done.stdout) == (2, '')
        lines = done.stderr.splitlines()
        assert lines[0] == ("brick: Invalid flavor extra spec "
                            "brick:local_gb 'x'; allowed: a whole number "
                            "of GiB from 0 to 1073741824.")
        assert lines[1] == ("brick: Invalid flavor extra spec "
                            "brick:locality 'moon'; allowed: one of host, "
                            "rack, zone, any.")
        assert lines[2].startswith("brick: Invalid flavor extra spec key "
                                   "'brick:nope'; allowed: brick:local_gb,")
        assert len(lines) == 3

    def test_checks_the_set_as_a_whole(self, capsys):
        done = run(capsys, 'flavor', 'validate', 'brick:count=1',
                   'brick:volume3_gb=5')
        assert done.code == 2
        assert 'volume numbers up to brick:count (1)' in done.stderr
        dup = run(capsys, 'flavor', 'validate', 'brick:count=1',
                  'brick:count=2')
        assert dup.code == 2 and 'each KEY once' in dup.stderr
        assert run(capsys, 'flavor', 'validate').code == 2

    @pytest.mark.parametrize('storage', [(), ('brick:local_gb=20',)])
    def test_refuses_a_tag_both_required_and_forbidden(self, capsys,
                                                       storage):
        # With or without local storage in the flavor: place refuses
        # both, so validate does.
        done = run(capsys, 'flavor', 'validate', 'brick:tags=ssd,nvme',
                   'brick:forbidden_tags=ssd', *storage)
        assert (done.code, done.stdout) == (2, '')
        assert done.stderr == (
            "brick: Invalid forbidden_tags 'ssd'; allowed: tags not also "
            "required (brick:tags and brick:forbidden_tags contradict each "
            "other on ssd).\n")


class TestReservations:

    def test_list_filters_and_reap(self, brick):
        fast = brick.json('pool', 'show', 'host:h1/fast')['id']
        slow = brick.json('pool', 'show', 'host:h2/slow')['id']
        first = brick.claim('vm-1', [(fast, GiB, 'root')])
        brick.claim('vm-2', [(slow, 2 * GiB, 'data')], ttl=1)
        listed = brick.json('reservation', 'list')
        assert [(r['consumer'], r['pool'], r['pool_id'], r['size'],
                 r['volume'], r['state']) for r in listed] == [
            ('vm-1', 'host:h1/fast', fast, GiB, 'root', 'reserved'),
            ('vm-2', 'host:h2/slow', slow, 2 * GiB, 'data', 'reserved')]
        assert listed[0]['id'] == first[0].id
        assert listed[0]['expires_at'].endswith('Z')
        assert [r['consumer'] for r in brick.json(
            'reservation', 'list', '--consumer', 'vm-2')] == ['vm-2']
        assert [r['consumer'] for r in brick.json(
            'reservation', 'list', '--pool-id', str(fast))] == ['vm-1']
        assert [r['consumer'] for r in brick.json(
            'reservation', 'list', '--request-id',
            first[0].request_id)] == ['vm-1']
        bad = brick('reservation', 'list', '--state', 'gone')
        assert bad.code == 2 and 'reserved, committed' in bad.stderr

        # Make vm-2's reservation expire, then reap it.
        db = engine.Database(brick.url)
        try:
            with db.begin() as conn:
                from brick.db import models
                conn.execute(models.reservations.update().where(
                    models.reservations.c.consumer == 'vm-2').values(
                        expires_at=engine.utcnow()
                        - datetime.timedelta(seconds=5)))
        finally:
            db.dispose()
        assert brick.json('reservation', 'reap') == {'expired': 1,
                                                     'purged': 0}
        assert brick.json('pool', 'show', str(slow))['used'] == 0
        assert [r['state'] for r in brick.json(
            'reservation', 'list', '--state', 'expired')] == ['expired']
        assert brick.json('reservation', 'reap', '--purge', '0') == {
            'expired': 0, 'purged': 1}
        assert [r['consumer'] for r in brick.json(
            'reservation', 'list')] == ['vm-1']
        assert brick('reservation', 'reap', '--purge', '-1').code == 2
