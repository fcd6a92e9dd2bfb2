import pytest
from django.utils import timezone

from accounts.models import Role
from contracts.selectors import contracts_for_user
from contracts.tests.factories import make_contract

pytestmark = pytest.mark.django_db


def verified(user, company, role=Role.CUSTOMER):
    user.company, user.role, user.verified_at = company, role, timezone.now()
    user.save()
    return user


def numbers(user):
    return list(contracts_for_user(user).values_list("number", flat=True))


def test_a_customer_sees_their_companys_contracts_and_never_another_companys(
    customer, company, other_customer, other_company, reseller
):
    make_contract(customer=company, number="A100001", reseller=reseller)
    verified(customer, company)
    verified(other_customer, other_company)
    assert numbers(customer) == ["A100001"]
    assert numbers(other_customer) == []


def test_partners_and_unverified_users_see_no_contracts(customer, company, partner, reseller):
    make_contract(customer=company, number="A100001", reseller=reseller)
    verified(partner, reseller, Role.PARTNER)
    assert numbers(partner) == []  # the reseller of the contract, yet no contract data
    assert numbers(customer) == []  # not verified yet


def test_the_dashboard_summary_lists_active_contracts_only_with_each_line_in_the_new_notation(
    service_plans, customer, company, other_company, partner, reseller
):
    from datetime import timedelta

    from contracts.models import Contract
    from contracts.selectors import active_contract_summaries

    today = timezone.localdate()
    make_contract(customer=company, number="A100001", serials=("FG100FTK20001234", "FG60FTK20005678"))
    make_contract(customer=company, number="B200002", serials=("FG100FTK20001234",), ends_on=today + timedelta(days=9))
    expired = {"starts_on": today - timedelta(days=400), "ends_on": today - timedelta(days=1)}
    make_contract(customer=company, number="C300003", **expired)
    make_contract(customer=other_company, number="D400004")
    empty = make_contract(customer=company, number="E500005", serials=("X1",))
    empty.lines.all().delete()
    Contract.objects.filter(pk=empty.pk).update(ends_on=today + timedelta(days=5))
    verified(customer, company)
    verified(partner, reseller, Role.PARTNER)

    summaries = active_contract_summaries(customer)
    assert [s.number for s in summaries] == ["A100001", "B200002", "E500005"]  # latest end first
    assert [line.notation for line in summaries[0].lines] == ["(H1)-FG100FTK20001234", "(H)-FG60FTK20005678"]
    assert [line.notation for line in summaries[1].lines] == ["(H2)-FG100FTK20001234"]
    assert summaries[2].lines == ()
    assert active_contract_summaries(partner) == []
