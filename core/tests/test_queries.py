"""core/queries.py: queries compiled once per process and run as statements PostgreSQL keeps planned. They must
give exactly what the ORM gives, write hostile values safely into the text, and show in the query log."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contracts.models import Company, Contract
from contracts.tests.factories import make_contract
from core.queries import prepared_rows, remembered_rows

pytestmark = pytest.mark.django_db


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_prepared_rows_are_the_plain_querys_rows_logged_and_prepared_once(service_plans, company):
    make_contract(customer=company, number="A100001", serials=("FG1",))
    make_contract(customer=company, number="A100002", serials=("FG2",))
    sql, params = (
        Contract.objects.filter(customer=company).order_by("number").values_list("number").query.sql_with_params()
    )
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            assert prepared_rows(sql, params) == [("A100001",), ("A100002",)]
    assert len(queries) == 3 and "A100001" not in queries[0]["sql"] and str(company.pk) in queries[0]["sql"]
    with connection.cursor() as cursor:
        text = cursor.cursor.mogrify(sql, params)
    assert _prepared_statements().count(text) == 1


@pytest.mark.parametrize("name", ["O'Brien; DROP TABLE contracts_company; --", "100%_\\", 'Zażółć "gęślą" jaźń'])
def test_values_are_written_into_the_text_safely(db, name):
    Company.objects.create(nip="5260250274", name=name)
    sql, params = Company.objects.filter(name=name).values_list("name").query.sql_with_params()
    assert prepared_rows(sql, params) == [(name,)]
    assert Company.objects.count() == 1


def test_remembered_rows_compile_once_per_values_and_convert_like_the_orm(service_plans, company, other_company):
    make_contract(customer=company, number="A100001", serials=("FG1",))
    make_contract(customer=other_company, number="B200002", serials=("FG2",))

    def query(company_id: int):
        return Contract.objects.filter(customer_id=company_id).values_list("number", "starts_on")

    rows = remembered_rows(query)
    for _ in range(2):
        [(number, starts_on)] = rows(company.pk)
        assert number == "A100001" and isinstance(starts_on, date)
    assert rows(other_company.pk)[0][0] == "B200002"
    assert rows.compiled.cache_info().misses == 2  # one compilation per company, not per call
    assert rows(company.pk) == list(query(company.pk))
