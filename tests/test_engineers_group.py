"""The default "Engineers" group (SPEC §7; data migration accounts/0008_engineers_group): a staff user in it
works every back-office page SPEC §7 names, where a staff user without model permissions got 403; it grants no
deletion and no way to raise anybody's rights."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from accounts.models import AuthEvent, User
from accounts.tests.factories import UserFactory
from accounts.tests.helpers import admin_change_data
from migration.models import ImportRun

pytestmark = pytest.mark.django_db

# Open to every engineer (staff) without model permissions: the desk and the read-only lists.
OPEN_TO_STAFF = [
    "/admin/tickets/ticket/",
    "/admin/operations/replacement/",
    "/admin/operations/allowanceuse/",
    "/admin/accounts/authevent/",
]


def back_office_pages(contract, customer) -> list[str]:
    """SPEC §7: companies, contracts with their lines, service plans (SLA table), users, the e-mail outbox,
    import runs; the plans' allowances and the contact form's messages beside them."""
    run = ImportRun.objects.create(source="export.jsonl")
    return [
        "/admin/contracts/company/",
        "/admin/contracts/company/add/",
        f"/admin/contracts/company/{contract.customer_id}/change/",
        "/admin/contracts/contract/",
        "/admin/contracts/contract/add/",
        f"/admin/contracts/contract/{contract.pk}/change/",
        "/admin/contracts/serviceplan/",
        f"/admin/contracts/serviceplan/{contract.plan_id}/change/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{customer.pk}/change/",
        "/admin/core/outboxemail/",
        "/admin/core/contactmessage/",
        "/admin/migration/importrun/",
        f"/admin/migration/importrun/{run.pk}/change/",
        "/admin/operations/planallowance/",
        "/admin/operations/planallowance/add/",
    ]


@pytest.fixture
def group_engineer(db):
    user = UserFactory(email="grupa@myhezo.example", is_staff=True)
    user.groups.add(Group.objects.get(name="Engineers"))
    return user


def test_an_engineer_in_the_group_works_every_back_office_page_that_needed_permissions(
    engineer, group_engineer, contract, customer, login_with_otp
):
    pages = back_office_pages(contract, customer)
    without = login_with_otp(engineer, with_client=Client())
    assert [without.get(url).status_code for url in pages] == [403] * len(pages)  # before: staff alone
    assert [without.get(url).status_code for url in OPEN_TO_STAFF] == [200] * len(OPEN_TO_STAFF)

    member = login_with_otp(group_engineer, with_client=Client())
    assert {url: member.get(url).status_code for url in pages + OPEN_TO_STAFF} == dict.fromkeys(
        pages + OPEN_TO_STAFF, 200
    )
    index = member.get("/admin/").content.decode()
    for link in ("/admin/contracts/company/", "/admin/accounts/user/", "/admin/core/outboxemail/"):
        assert f'href="{link}"' in index


def test_the_group_can_lock_a_user_but_not_delete_nor_raise_anybodys_rights(
    group_engineer, customer, company, login_with_otp
):
    member = login_with_otp(group_engineer, with_client=Client())
    url = f"/admin/accounts/user/{customer.pk}/change/"
    response = member.post(url, admin_change_data(customer, is_active="", is_staff="on", is_superuser="on"))
    assert response.status_code == 302
    locked = User.objects.get(pk=customer.pk)
    assert not locked.is_active  # locked
    assert not locked.is_staff and not locked.is_superuser  # the rights stay as they were

    mine = f"/admin/accounts/user/{group_engineer.pk}/change/"
    member.post(mine, admin_change_data(group_engineer, is_superuser="on", groups=[]))
    me = User.objects.get(pk=group_engineer.pk)
    assert not me.is_superuser and me.groups.filter(name="Engineers").exists()

    boss = UserFactory(email="szef@myhezo.example", is_staff=True, is_superuser=True)
    assert (
        member.post(f"/admin/accounts/user/{boss.pk}/change/", admin_change_data(boss, is_active="")).status_code == 403
    )
    assert User.objects.get(pk=boss.pk).is_active
    member.post("/admin/accounts/user/", {"action": "sessions_end", "_selected_action": [boss.pk]})
    assert not AuthEvent.objects.filter(user=boss, kind=AuthEvent.Kind.SESSIONS_ENDED).exists()
    assert member.get(f"/admin/accounts/user/{customer.pk}/delete/").status_code == 403
    assert member.get("/admin/accounts/user/add/").status_code == 403
    assert member.get(f"/admin/contracts/company/{company.pk}/delete/").status_code == 403


def test_the_group_holds_no_delete_permission():
    group = Group.objects.get(name="Engineers")
    assert group.permissions.exists()
    assert not group.permissions.filter(codename__startswith="delete_").exists()
