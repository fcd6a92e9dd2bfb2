import pytest

from contracts.models import Contract, ContractLine, ServicePlan
from contracts.tests.factories import make_contract

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, engineer, login_with_otp):
    engineer.is_superuser = True
    engineer.save()
    return login_with_otp(engineer)


def test_admin_needs_the_second_factor(client, engineer):
    client.force_login(engineer)
    response = client.get("/admin/contracts/contract/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert "/admin/contracts/contract/" not in [url for url, _status in response.redirect_chain]


def test_engineer_adds_a_contract_with_lines_and_they_get_service_indexes(admin_client, company):
    plan = ServicePlan.objects.get(name="HEZO 360")
    data = {
        "number": "A100001",
        "customer": company.pk,
        "reseller": "",
        "plan": plan.pk,
        "starts_on": "2025-03-01",
        "ends_on": "2028-02-29",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-serial_raw": " fg100ftk20001234 ",
        "lines-0-model": "FortiGate 100F",
        "lines-1-serial_raw": "FG100FTK20001234",
        "lines-1-model": "FortiGate 100F — second service",
    }
    response = admin_client.post("/admin/contracts/contract/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    contract = Contract.objects.get(number="A100001")
    lines = list(ContractLine.objects.with_serial_line_count().filter(contract=contract).order_by("pk"))
    assert [line.notation for line in lines] == ["(H1)-FG100FTK20001234", "(H2)-FG100FTK20001234"]


def test_contract_search_by_serial_and_nip(admin_client, company):
    make_contract(customer=company, number="B200002", plan_name="HEZO+", serials=("A30-2406-00417",))
    for term in ["A30-2406-00417", company.nip, "b200002"]:
        page = admin_client.get("/admin/contracts/contract/", {"q": term}).content.decode()
        assert "B200002" in page, term
    assert "B200002" not in admin_client.get("/admin/contracts/contract/", {"q": "FG999"}).content.decode()


def test_contract_page_shows_lines_in_the_new_notation(admin_client, company):
    contract = make_contract(customer=company, serials=("FG60FTK21009876",))
    page = admin_client.get(f"/admin/contracts/contract/{contract.pk}/change/").content.decode()
    assert "(H)-FG60FTK21009876" in page
    assert admin_client.get("/admin/contracts/serviceplan/").status_code == 200
