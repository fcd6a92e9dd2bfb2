"""Issue 14, item 3: consent names its reseller. A customer grants partner access to the reseller company that
sells the contract then; a partner reads the ticket only while that company is still the contract's reseller;
a change of the reseller (admin, the import) withdraws the access with a history row; the customer can grant it
again, to the new reseller; the ticket page says to whom access is granted.

The finding reproduced: after admin changed a contract's reseller from R to R2, R2's partner read a ticket the
customer had shared with R (404 before the change, 200 after)."""

import importlib
import json
import threading

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from conftest import skip_or_fail, verify
from contracts.models import Contract
from contracts.services import contract_save
from contracts.tests.factories import CompanyFactory, make_contract
from migration.services import legacy_import
from tickets import services
from tickets.models import EventAction, PartnerReadLog, Ticket, TicketEvent
from tickets.tests.factories import make_ticket, upload

NEW_RESELLER = "Nowy Partner S.A."


@pytest.fixture
def world(cast, contract, engineer, login_with_otp):
    """Company A's contract resold by R (Arkanet, the cast's reseller), a ticket A shared with R (with a file),
    and a partner of R2, the company that resells the contract after the change."""
    r2 = CompanyFactory(name=NEW_RESELLER)
    partner2 = UserFactory(email="ola@nowypartner.example", nip=r2.nip, company_name=r2.name)
    verify(partner2, r2, "partner")
    shared = make_ticket(
        author=cast["customer"],
        contract=contract,
        title="Łącze VPN zrywa się",
        partner_access=True,
        attachments=[upload("log-vpn.txt")],
    )
    engineer.is_superuser = True
    engineer.save()
    return {
        **cast,
        "contract": contract,
        "r": contract.reseller,
        "r2": r2,
        "partner2": partner2,
        "shared": shared,
        "attachment": shared.messages.get().attachments.get(),
        "clients": {
            "partner": login_with_otp(cast["partner"], with_client=Client()),
            "partner2": login_with_otp(partner2, with_client=Client()),
            "customer": login_with_otp(cast["customer"], with_client=Client()),
            "admin": login_with_otp(engineer, with_client=Client()),
        },
    }


def _reads(client: Client, world) -> dict[str, object]:
    """What a partner gets of the shared ticket on every read path: page, file, list, search, contract filter."""
    ticket, attachment = world["shared"], world["attachment"]
    listing = client.get("/tickets/")
    search = client.get("/tickets/", {"q": "vpn"})
    return {
        "page": client.get(f"/tickets/{ticket.number}/").status_code,
        "file": client.get(reverse("tickets:attachment", args=[ticket.number, attachment.pk])).status_code,
        "list": listing.status_code == 200 and ticket.number in listing.content.decode(),
        "search": search.status_code == 200 and ticket.number in search.content.decode(),
        "contract filter": world["contract"].number in listing.content.decode(),
    }


CAN_READ = {"page": 200, "file": 200, "list": True, "search": True, "contract filter": True}
CANNOT_READ = {"page": 404, "file": 404, "list": False, "search": False, "contract filter": False}


def _admin_change_reseller(world, reseller) -> None:
    """Admin's contract form, saved with another reseller (the contract and its two lines as they are)."""
    contract = world["contract"]
    lines = list(contract.lines.order_by("pk"))
    data = {
        "number": contract.number,
        "customer": contract.customer_id,
        "reseller": reseller.pk if reseller else "",
        "plan": contract.plan_id,
        "starts_on": contract.starts_on.isoformat(),
        "ends_on": contract.ends_on.isoformat(),
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": str(len(lines)),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for i, line in enumerate(lines):
        data |= {f"lines-{i}-id": line.pk, f"lines-{i}-contract": contract.pk, f"lines-{i}-model": line.model}
    response = world["clients"]["admin"].post(f"/admin/contracts/contract/{contract.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Contract.objects.get(pk=contract.pk).reseller_id == (reseller.pk if reseller else None)


@pytest.mark.django_db
def test_a_reseller_changed_in_admin_does_not_inherit_the_consent_and_the_customer_can_grant_it_again(world):
    partner, partner2 = world["clients"]["partner"], world["clients"]["partner2"]
    assert _reads(partner, world) == CAN_READ
    assert _reads(partner2, world) == CANNOT_READ

    _admin_change_reseller(world, world["r2"])

    # The finding: R2 got 200 here. Neither reseller reads the ticket now, on any path.
    assert _reads(partner2, world) == CANNOT_READ
    assert _reads(partner, world) == CANNOT_READ
    ticket = Ticket.objects.get(pk=world["shared"].pk)
    assert (ticket.partner_access, ticket.partner_company_id) == (False, None)
    event = TicketEvent.objects.get(ticket=ticket, action=EventAction.RESELLER_CHANGED)
    assert (event.actor, event.old_value, event.new_value) == (world["engineer"], "Arkanet Sp. z o.o.", NEW_RESELLER)

    # The customer grants it again: now to R2, and only R2 reads it.
    services.ticket_partner_access_set(ticket=ticket, actor=world["customer"], allowed=True)
    assert Ticket.objects.get(pk=ticket.pk).partner_company_id == world["r2"].pk
    assert _reads(partner2, world) == CAN_READ
    assert _reads(partner, world) == CANNOT_READ
    assert PartnerReadLog.objects.filter(ticket=ticket, user=world["partner2"]).get().read_count == 2


@pytest.mark.django_db
def test_removing_the_reseller_withdraws_the_consent_and_the_history_shows_it_translated(world):
    _admin_change_reseller(world, None)
    assert _reads(world["clients"]["partner"], world) == CANNOT_READ
    event = TicketEvent.objects.get(ticket=world["shared"], action=EventAction.RESELLER_CHANGED)
    assert (event.old_value, event.new_value) == ("Arkanet Sp. z o.o.", "")
    desk = world["clients"]["admin"].get(world["shared"].get_desk_url()).content.decode()
    assert "Zmiana partnera: dostęp cofnięty" in desk  # the engineer's language: Polish


@pytest.mark.django_db
def test_the_import_changing_the_reseller_withdraws_the_consent(world):
    contract = world["contract"]
    record = {
        "type": "contract",
        "number": contract.number,
        "customer": {"nip": contract.customer.nip, "name": contract.customer.name},
        "reseller": {"nip": world["r2"].nip, "name": NEW_RESELLER},
        "plan": contract.plan.name,
        "starts_on": contract.starts_on.isoformat(),
        "ends_on": contract.ends_on.isoformat(),
        "lines": [{"serial": line.serial, "model": line.model} for line in contract.lines.order_by("pk")],
    }
    report = legacy_import(lines=[json.dumps(record)], today=timezone.localdate(), workers=0)
    assert report.as_dict()["contracts"]["updated"] == 1
    assert _reads(world["clients"]["partner2"], world) == CANNOT_READ
    event = TicketEvent.objects.get(ticket=world["shared"], action=EventAction.RESELLER_CHANGED)
    assert (event.actor, event.actor_name, event.new_value) == (None, "import_legacy", NEW_RESELLER)


@pytest.mark.django_db
def test_a_contract_saved_with_the_same_reseller_keeps_the_consent(world):
    contract = Contract.objects.get(pk=world["contract"].pk)
    contract.ends_on = contract.ends_on.replace(year=contract.ends_on.year - 1)
    contract_save(contract=contract, actor=world["engineer"])
    assert _reads(world["clients"]["partner"], world) == CAN_READ
    assert not TicketEvent.objects.filter(action=EventAction.RESELLER_CHANGED).exists()


@pytest.mark.django_db
def test_the_withdrawal_is_part_of_the_reseller_change(world, monkeypatch):
    """A withdrawal that fails undoes the reseller change: never the new reseller with the old consent."""

    def broken(**kwargs):
        raise RuntimeError("withdrawal failed")

    monkeypatch.setattr("tickets.receivers.tickets_partner_access_withdraw", broken)
    contract = Contract.objects.get(pk=world["contract"].pk)
    contract.reseller = world["r2"]
    with pytest.raises(RuntimeError):
        contract_save(contract=contract, actor=world["engineer"])
    assert Contract.objects.get(pk=contract.pk).reseller_id == world["r"].pk
    assert Ticket.objects.get(pk=world["shared"].pk).partner_company_id == world["r"].pk


@pytest.mark.django_db
def test_a_consent_names_the_reseller_it_was_given_to_on_every_way_of_giving_it(world):
    contract, r = world["contract"], world["r"]
    phone = services.ticket_create_by_phone(
        contract=contract,
        serial=contract.lines.first().serial,
        engineer=world["engineer"],
        contact_name="Jan",
        contact_email="jan@kowalski.example",
        priority="question",
        title="Telefon",
        description="Opis",
        partner_access=True,
    )
    private = make_ticket(author=world["customer"], contract=contract)
    services.ticket_partner_access_set(ticket=private, actor=world["customer"], allowed=True)
    assert [Ticket.objects.get(pk=t.pk).partner_company_id for t in (world["shared"], phone, private)] == [r.pk] * 3
    services.ticket_partner_access_set(ticket=private, actor=world["customer"], allowed=False)
    assert Ticket.objects.get(pk=private.pk).partner_company_id is None


@pytest.mark.django_db
def test_a_stale_consent_naming_a_former_reseller_reads_nothing(world):
    """Whatever way a ticket came to name a company that no longer resells the contract (old data, a grant
    racing a reseller change), the rule is both: named by the consent and the contract's reseller now."""
    Contract.objects.filter(pk=world["contract"].pk).update(reseller=world["r2"])  # no service: no withdrawal
    assert _reads(world["clients"]["partner2"], world) == CANNOT_READ
    assert _reads(world["clients"]["partner"], world) == CANNOT_READ
    services.partner_read_record(ticket_id=world["shared"].pk, user=world["partner2"])
    assert not PartnerReadLog.objects.filter(user=world["partner2"]).exists()
    page = world["clients"]["customer"].get(f"/tickets/{world['shared'].number}/").content.decode()
    assert "nie udzielono" in page and f"Udostępnij {NEW_RESELLER}" in page


@pytest.mark.django_db
def test_the_ticket_page_says_to_whom_access_is_granted(world):
    customer, partner = world["clients"]["customer"], world["clients"]["partner"]
    url = f"/tickets/{world['shared'].number}/"
    assert "udzielony firmie Arkanet Sp. z o.o." in customer.get(url).content.decode()
    assert "udzielony przez klienta firmie Arkanet Sp. z o.o." in partner.get(url).content.decode()
    world["customer"].language = "en"
    world["customer"].save()
    assert "granted to Arkanet Sp. z o.o." in customer.get(url).content.decode()
    desk = world["clients"]["admin"].get(world["shared"].get_desk_url()).content.decode()
    assert "udzielony firmie Arkanet Sp. z o.o." in desk

    _admin_change_reseller(world, world["r2"])
    page = customer.get(url).content.decode()
    assert "not granted" in page and f"Share with {NEW_RESELLER}" in page
    assert "granted to Arkanet" not in page


@pytest.mark.django_db
def test_the_migration_names_the_current_reseller_of_tickets_shared_before(world, service_plans):
    fill = importlib.import_module("tickets.migrations.0012_partner_company_fill").fill
    no_reseller = make_contract(customer=world["contract"].customer, number="C300003", serials=("FGT60E0001",))
    private = make_ticket(author=world["customer"], contract=world["contract"])
    orphan = make_ticket(author=world["customer"], contract=no_reseller)
    # As before the release: the flag alone (an orphan as old data may hold it, on a contract without a reseller).
    Ticket.objects.filter(pk__in=[world["shared"].pk, orphan.pk]).update(partner_access=True, partner_company=None)
    fill(apps, None)
    named = dict(Ticket.objects.values_list("pk", "partner_company_id"))
    assert named == {world["shared"].pk: world["r"].pk, private.pk: None, orphan.pk: None}
    assert _reads(world["clients"]["partner"], world) == CAN_READ


# --- on PostgreSQL: a grant racing a reseller change --------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_grant_during_a_reseller_change_names_the_new_reseller(world):
    if connection.vendor != "postgresql":
        skip_or_fail("needs PostgreSQL's row locks (DATABASE_URL), as .ci/run sets it")
    services.ticket_partner_access_set(ticket=world["shared"], actor=world["customer"], allowed=False)
    changing, granted = threading.Event(), []

    def grant():
        try:
            changing.wait(10)
            ticket = Ticket.objects.get(pk=world["shared"].pk)
            services.ticket_partner_access_set(ticket=ticket, actor=world["customer"], allowed=True)
            granted.append(True)
        finally:
            connection.close()

    thread = threading.Thread(target=grant)
    thread.start()
    with transaction.atomic():
        contract = Contract.objects.get(pk=world["contract"].pk)
        contract.reseller = world["r2"]
        contract_save(contract=contract, actor=world["engineer"])
        changing.set()
        thread.join(1)  # the grant waits for the contract's lock
        assert thread.is_alive()
    thread.join(10)
    assert granted
    assert Ticket.objects.get(pk=world["shared"].pk).partner_company_id == world["r2"].pk
    assert _reads(world["clients"]["partner2"], world) == CAN_READ
    assert _reads(world["clients"]["partner"], world) == CANNOT_READ
