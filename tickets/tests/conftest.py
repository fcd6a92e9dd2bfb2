"""The standard cast, verified, with a contract of the customer's company sold by the reseller."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from contracts.tests.factories import make_contract


def verify(user, company, role=Role.CUSTOMER):
    user.company = company
    user.role = role
    user.verified_at = timezone.now()
    user.save()
    return user


@pytest.fixture
def contract(service_plans, company, reseller):
    return make_contract(
        customer=company,
        reseller=reseller,
        number="A100001",
        plan_name="HEZO 360",
        serials=("FG100FTK20001234", "FG60FTK20005678"),
    )


@pytest.fixture
def other_contract(service_plans, other_company, reseller):
    return make_contract(customer=other_company, reseller=reseller, number="B200002", serials=("FGT40F0000000001",))


@pytest.fixture
def expired_contract(service_plans, company):
    today = timezone.localdate()
    return make_contract(
        customer=company,
        number="C300003",
        serials=("YEA20OLD0001",),
        plan_name="HEZO+",
        starts_on=today - timedelta(days=800),
        ends_on=today - timedelta(days=1),
    )


@pytest.fixture
def cast(customer, colleague, other_customer, partner, company, other_company, reseller, engineer):
    """Everybody verified as their role: customers of A and B, a partner of the reseller, an engineer."""
    verify(customer, company)
    verify(colleague, company)
    verify(other_customer, other_company)
    verify(partner, reseller, Role.PARTNER)
    return {
        "customer": customer,
        "colleague": colleague,
        "other": other_customer,
        "partner": partner,
        "engineer": engineer,
    }


@pytest.fixture
def outbox(db):
    from .factories import Outbox

    return Outbox()
