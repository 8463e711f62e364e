# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
import pytest

from brick import exception
from brick.inventory import claims


def test_per_pool_sums_sizes_in_lock_order():
    plan = claims.per_pool(claims.check(
        [(7, 12), (3, 4), (7, 18)], 'vm', None, 60))
    assert plan == [
        (3, {'pool': 3, 'n': 4, 'smallest': 4, 'largest': 4, 'gcd': 4}),
        (7, {'pool': 7, 'n': 30, 'smallest': 12, 'largest': 18,
             'gcd': 6})]


@pytest.mark.parametrize('items,consumer,request_id,ttl,message', [
    ([(1, 10)], '', None, 60, 'consumer'),
    ([(1, 10)], 'x' * 256, None, 60, 'consumer'),
    ([(1, 10)], 'vm', 'r' * 37, 60, 'request_id'),
    ([(1, 10)], 'vm', None, 0, 'ttl'),
    ([(1, 10)], 'vm', None, True, 'ttl'),
    ([], 'vm', None, 60, 'at least one'),
    ([(True, 10)], 'vm', None, 60, 'pool_id of claim 0'),
    ([(1, 10), (1, -10)], 'vm', None, 60, 'size of claim 1'),
    ([(1, 10, 'bad name')], 'vm', None, 60, 'volume of claim 0'),
])
def test_bad_claims_are_refused_before_the_database(items, consumer,
                                                    request_id, ttl,
                                                    message):
    with pytest.raises(exception.InvalidInput, match=message):
        claims.check(items, consumer, request_id, ttl)


def test_the_postgresql_statement_is_one_insert_fed_by_the_update():
    from sqlalchemy.dialects import postgresql
    sql = str(claims.TAKE_AND_INSERT.compile(dialect=postgresql.dialect()))
    assert sql.startswith('WITH taken AS')
    assert 'RETURNING pools.id' in sql and 'FROM taken' in sql
