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
