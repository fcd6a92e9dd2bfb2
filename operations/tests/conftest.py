import pytest


@pytest.fixture
def plus_contract(service_plans, company, reseller):
    """A HEZO+ contract of the customer's company (next-business-day replacement, HEZO pays the return)."""
    from contracts.tests.factories import make_contract

    return make_contract(
        customer=company, reseller=reseller, number="D400004", plan_name="HEZO+", serials=("A30-2406-00417",)
    )
