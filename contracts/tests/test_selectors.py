import pytest
from django.http import Http404
from django.utils import timezone

from accounts.models import Role
from contracts.selectors import contract_for_user, contracts_for_user
from contracts.tests.factories import make_contract

pytestmark = pytest.mark.django_db


def verified(user, company, role=Role.CUSTOMER):
    user.company, user.role, user.verified_at = company, role, timezone.now()
    user.save()
    return user


def test_a_contract_of_another_company_is_a_404_never_data(customer, company, other_customer, other_company, reseller):
    make_contract(customer=company, number="A100001", reseller=reseller)
    verified(customer, company)
    verified(other_customer, other_company)
    assert contract_for_user(customer, " a100001 ").number == "A100001"
    with pytest.raises(Http404):
        contract_for_user(other_customer, "A100001")
    assert not contracts_for_user(other_customer).filter(number="A100001").exists()


def test_partners_and_unverified_users_see_no_contracts(customer, company, partner, reseller):
    make_contract(customer=company, number="A100001", reseller=reseller)
    verified(partner, reseller, Role.PARTNER)
    assert not contracts_for_user(partner).exists()
    assert not contracts_for_user(customer).exists()  # not verified yet
    with pytest.raises(Http404):
        contract_for_user(partner, "A100001")


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
