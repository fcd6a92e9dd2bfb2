"""GDPR (issue 7, item 5): "download my data" and account deletion that anonymises the person while the
company keeps its tickets; the same deletion by an engineer in admin."""

import json

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuthEvent, User
from accounts.services import DELETED_USER_NAME, auth_event_record, user_delete_anonymise
from accounts.tests.factories import DEFAULT_PASSWORD
from core.emails import email_render
from core.models import ContactMessage, OutboxEmail
from core.services import contact_message_submit
from tickets import services
from tickets.models import Message, Ticket, TicketCc, TicketEvent
from tickets.tests.factories import make_ticket, upload

pytestmark = pytest.mark.django_db

SECRET_OF_A_COLLEAGUE = "Hasło do FortiGate kolegi: Kolega-Tajne-2026"
ENGINEERS_ANSWER = "Proszę zaktualizować firmware do 7.4.5."


@pytest.fixture
def people(cast):
    """Names that appear nowhere else, so a leak is a plain substring."""
    names = {"customer": ("Zofia", "Kamińska", "601601601"), "colleague": ("Piotr", "Zieliński", "602602602")}
    for key, (first, last, phone) in names.items():
        user = cast[key]
        user.first_name, user.last_name, user.phone, user.language = first, last, phone, "en"
        user.save()
    return cast


@pytest.fixture
def tickets(people, contract, other_contract):
    customer, colleague = people["customer"], people["colleague"]
    own = make_ticket(
        author=customer,
        contract=contract,
        title="Own ticket of the first customer",
        attachments=[upload("zofia.conf")],
        partner_access=True,
    )
    theirs = make_ticket(
        author=colleague,
        contract=contract,
        title="Colleague's confidential ticket",
        description=SECRET_OF_A_COLLEAGUE,
        cc_emails=[customer.email, "szef.it@kowalski.example"],
    )
    services.ticket_reply(ticket=theirs, author=customer, body="The first customer's reply on the colleague's ticket.")
    services.ticket_reply(ticket=own, author=colleague, body="Piotr's remark on this ticket.")
    services.ticket_engineer_reply(ticket=own, engineer=people["engineer"], body=ENGINEERS_ANSWER)
    services.ticket_cc_add(ticket=own, actor=customer, email="kopia@kowalski.example")
    elsewhere = make_ticket(author=people["other"], contract=other_contract, title="Another company's ticket")
    return {"own": own, "theirs": theirs, "elsewhere": elsewhere}


# --- download my data -----------------------------------------------------------------------------------


def test_the_export_is_a_json_download_of_the_users_own_data_and_nothing_of_others(people, tickets, login_with_otp):
    for person in ("customer", "colleague"):
        Client().post(
            "/accounts/login/",
            {"login_view-current_step": "auth", "auth-username": people[person].email, "auth-password": "wrong"},
        )
    client = login_with_otp(people["customer"])
    response = client.get("/accounts/settings/data/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="myhezo-data-')
    assert response["Content-Disposition"].endswith('.json"')
    assert "no-store" in response["Cache-Control"]
    raw = response.content.decode()
    data = json.loads(raw)

    profile = data["profile"]
    assert (profile["email"], profile["first_name"], profile["last_name"], profile["phone"]) == (
        "anna@kowalski.example",
        "Zofia",
        "Kamińska",
        "601601601",
    )
    assert profile["verified_company"] == {"name": "Kowalski Systemy Sp. z o.o.", "nip": "5260250274"}
    assert [d["confirmed"] for d in data["second_factor_devices"]] == [True]
    events = [e["event"] for e in data["authentication_events"]]
    assert events.count("login_failed") == 1 and "login_succeeded" in events  # hers, not the colleague's
    assert "key" not in json.dumps(data["second_factor_devices"])  # names only, never a secret

    assert [t["number"] for t in data["tickets_reported"]] == [tickets["own"].number]
    assert data["tickets_reported"][0]["title"] == "Own ticket of the first customer"
    # To whom she let the ticket be shown: the reseller company her consent names.
    assert data["tickets_reported"][0]["shared_with"] == "Arkanet Sp. z o.o."
    written = {(m["ticket"], m["text"]) for m in data["messages_written"]}
    assert written == {
        (tickets["own"].number, "Po aktualizacji firmware tunel IPsec do oddziału nie wstaje."),
        (tickets["theirs"].number, "The first customer's reply on the colleague's ticket."),
    }
    own_description = next(m for m in data["messages_written"] if m["ticket"] == tickets["own"].number)
    assert own_description["attachments"] == [{"name": "zofia.conf", "size": len(upload().read())}]

    # Nothing of other people: not the colleague's ticket title, text, name or phone, not the engineer's
    # answer, not the CC addresses, not another company.
    for foreign in [
        "Colleague's confidential ticket",
        SECRET_OF_A_COLLEAGUE,
        "Piotr",
        "Zieliński",
        "602602602",
        "piotr@kowalski.example",
        "Piotr's remark",
        ENGINEERS_ANSWER,
        "kopia@kowalski.example",
        "szef.it@kowalski.example",
        "Another company's ticket",
        "ewa@zolta.example",
        tickets["elsewhere"].number,
    ]:
        assert foreign not in raw, foreign


def test_a_partners_export_lists_the_tickets_they_read_by_number_only(people, tickets, login_with_otp):
    client = login_with_otp(people["partner"])
    assert client.get(f"/tickets/{tickets['own'].number}/").status_code == 200
    data = json.loads(client.get("/accounts/settings/data/").content)
    assert [(r["ticket"], r["times"]) for r in data["tickets_read_as_partner"]] == [(tickets["own"].number, 1)]
    assert data["tickets_reported"] == [] and data["messages_written"] == []
    assert "Own ticket of the first customer" not in json.dumps(data)


def test_the_export_and_the_deletion_need_the_second_factor(client, people):
    for url in ["/accounts/settings/data/", "/accounts/settings/delete/"]:
        assert client.get(url).status_code == 302  # anonymous: to the login page
    TOTPDevice.objects.create(user=people["customer"], name="default", confirmed=True)
    client.force_login(people["customer"])  # password only, no second factor in this session
    for url in ["/accounts/settings/data/", "/accounts/settings/delete/"]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    assert client.post("/accounts/settings/delete/", {"password": DEFAULT_PASSWORD, "confirm": "on"}).status_code == 302
    assert User.objects.get(pk=people["customer"].pk).is_active


def test_settings_link_to_both(people, login_with_otp):
    page = login_with_otp(people["customer"]).get("/accounts/settings/").content.decode()
    assert 'href="/accounts/settings/data/"' in page and 'href="/accounts/settings/delete/"' in page


# --- delete my account ----------------------------------------------------------------------------------


def test_deletion_needs_the_password_and_the_confirmation(people, login_with_otp):
    client = login_with_otp(people["customer"])
    assert client.get("/accounts/settings/delete/").status_code == 200
    wrong = client.post("/accounts/settings/delete/", {"password": "not-my-password", "confirm": "on"})
    assert wrong.status_code == 400 and 'id="id_password_error"' in wrong.content.decode()
    unconfirmed = client.post("/accounts/settings/delete/", {"password": DEFAULT_PASSWORD})
    assert unconfirmed.status_code == 400 and 'id="id_confirm_error"' in unconfirmed.content.decode()
    customer = User.objects.get(pk=people["customer"].pk)
    assert customer.is_active and customer.email == "anna@kowalski.example" and customer.has_usable_password()


def test_password_guesses_on_the_deletion_form_count_as_failed_logins_throttled_and_logged(
    people, login_with_otp, settings
):
    """A stolen session cannot test passwords here faster than at the login: the same counts, the same log."""
    settings.MYHEZO_LOGIN_RATE_PER_ACCOUNT_AND_IP = "3/15m"
    client = login_with_otp(people["customer"])
    for _ in range(3):
        assert client.post("/accounts/settings/delete/", {"password": "guess", "confirm": "on"}).status_code == 400
    throttled = client.post("/accounts/settings/delete/", {"password": DEFAULT_PASSWORD, "confirm": "on"})
    assert throttled.status_code == 429
    assert User.objects.get(pk=people["customer"].pk).is_active
    failures = AuthEvent.objects.filter(user=people["customer"], kind=AuthEvent.Kind.LOGIN_FAILED)
    assert failures.count() == 3
    assert AuthEvent.objects.filter(user=people["customer"], kind=AuthEvent.Kind.LOCKED_OUT).count() == 1


def test_deleting_my_account_anonymises_me_ends_my_sessions_and_keeps_the_companys_tickets(
    people, tickets, login_with_otp
):
    customer = people["customer"]
    contact_message_submit(
        name="Zofia Kamińska",
        email=customer.email,
        phone="601601601",
        company_name="Kowalski",
        message="Question",
        language="en",
    )
    other_session = login_with_otp(customer, with_client=Client())
    assert other_session.get("/dashboard/").status_code == 200
    client = login_with_otp(customer)
    # In the authentication log: a failed login with the address, and an earlier address of the account.
    Client().post(
        "/accounts/login/",
        {"login_view-current_step": "auth", "auth-username": customer.email, "auth-password": "wrong-password"},
    )
    auth_event_record(kind=AuthEvent.Kind.EMAIL_CHANGED, user=customer, detail="from zofia.old@kowalski.example")
    auth_event_record(kind=AuthEvent.Kind.LOGIN_FAILED, email="zofia.old@kowalski.example")
    assert AuthEvent.objects.filter(email=customer.email).exists()

    response = client.post("/accounts/settings/delete/", {"password": DEFAULT_PASSWORD, "confirm": "on"}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert "Your account has been deleted." in response.content.decode()
    log_after_deletion = AuthEvent.objects.order_by("-pk").values_list("pk", flat=True).first()

    # The person: anonymised, unable to log in, every session over.
    person = User.objects.get(pk=customer.pk)
    assert (person.first_name, person.last_name, person.phone) == (DELETED_USER_NAME, "", "")
    assert person.email == f"deleted-{customer.pk}@users.invalid"
    assert not person.is_active and not person.has_usable_password()
    assert list(devices_for_user(person, confirmed=None)) == []
    assert person.company_id == customer.company_id  # the tickets stay with the company
    assert other_session.get("/dashboard/").status_code == 302
    assert client.get("/dashboard/").status_code == 302
    login = Client().post(
        "/accounts/login/",
        {
            "login_view-current_step": "auth",
            "auth-username": "anna@kowalski.example",
            "auth-password": DEFAULT_PASSWORD,
        },
    )
    assert login.status_code == 200 and 'name="auth-password"' in login.content.decode()  # refused, still step one

    # The company: both tickets still there for the colleague, without the person's name or address.
    colleague = login_with_otp(people["colleague"], with_client=Client())
    listing = colleague.get("/tickets/").content.decode()
    assert tickets["own"].number in listing and tickets["theirs"].number in listing
    for ticket in (tickets["own"], tickets["theirs"]):
        page = colleague.get(f"/tickets/{ticket.number}/").content.decode()
        assert "Zofia" not in page and "Kamińska" not in page and "anna@kowalski.example" not in page
    own_page = colleague.get(f"/tickets/{tickets['own'].number}/").content.decode()
    assert DELETED_USER_NAME in own_page and "Piotr&#x27;s remark on this ticket." in own_page

    own = Ticket.objects.get(pk=tickets["own"].pk)
    assert (own.reporter_name, own.reporter_email) == (DELETED_USER_NAME, person.email)
    assert own.messages.count() == 3 and own.messages.get(author=person).author_name == DELETED_USER_NAME
    assert not TicketCc.objects.filter(email="anna@kowalski.example").exists()
    assert TicketCc.objects.filter(ticket=tickets["theirs"], email="szef.it@kowalski.example").exists()
    assert Message.objects.filter(author=person).count() == 2

    # The authentication log keeps its entries, linked to the anonymised account, without the address.
    assert AuthEvent.objects.filter(user=person, kind=AuthEvent.Kind.ACCOUNT_DELETED, detail="by the user").exists()
    assert AuthEvent.objects.filter(user=person, kind=AuthEvent.Kind.SESSIONS_ENDED).exists()

    # Nowhere else either: the history, the contact form, the outbox, the authentication log.
    leftovers = [
        *AuthEvent.objects.filter(pk__lte=log_after_deletion).values_list("email", "detail"),
        *TicketEvent.objects.values_list("actor_name", "old_value", "new_value"),
        *ContactMessage.objects.values_list("name", "email", "phone"),
        *OutboxEmail.objects.values_list("to", "reply_to"),
        *Ticket.objects.values_list("reporter_name", "reporter_email"),
        *Message.objects.values_list("author_name", flat=False),
    ]
    text = json.dumps(leftovers, ensure_ascii=False)
    assert "anna@kowalski.example" not in text and "Kamińska" not in text and "601601601" not in text
    assert "zofia.old@kowalski.example" not in text


def test_engineers_close_their_accounts_in_the_back_office_not_here(people, login_with_otp):
    client = login_with_otp(people["engineer"])
    page = client.get("/accounts/settings/delete/")
    assert page.status_code == 200 and 'name="password"' not in page.content.decode()
    assert client.post("/accounts/settings/delete/", {"password": DEFAULT_PASSWORD, "confirm": "on"}).status_code == 403
    assert User.objects.get(pk=people["engineer"].pk).is_active


# --- the same by an engineer in admin ------------------------------------------------------------------


@pytest.fixture
def user_manager(people):
    engineer = people["engineer"]
    engineer.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
    return engineer


def test_an_engineer_deletes_and_anonymises_a_user_from_admin_after_a_confirmation(
    people, tickets, user_manager, login_with_otp
):
    client = login_with_otp(user_manager)
    customer = people["customer"]
    action = {"action": "delete_anonymise", "_selected_action": [customer.pk]}

    confirmation = client.post("/admin/accounts/user/", action)
    assert confirmation.status_code == 200
    assert "anna@kowalski.example" in confirmation.content.decode()
    assert User.objects.get(pk=customer.pk).is_active  # nothing happens before the confirmation

    done = client.post("/admin/accounts/user/", {**action, "post": "yes"})
    assert done.status_code == 302
    person = User.objects.get(pk=customer.pk)
    assert person.first_name == DELETED_USER_NAME and not person.is_active and not person.has_usable_password()
    assert Ticket.objects.get(pk=tickets["own"].pk).reporter_name == DELETED_USER_NAME
    assert AuthEvent.objects.filter(
        user=person, kind=AuthEvent.Kind.ACCOUNT_DELETED, detail="in the back office"
    ).exists()


def test_an_engineer_cannot_anonymise_their_own_account(people, user_manager, login_with_otp):
    client = login_with_otp(user_manager)
    response = client.post(
        "/admin/accounts/user/", {"action": "delete_anonymise", "_selected_action": [user_manager.pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert User.objects.get(pk=user_manager.pk).is_active


# --- "Deleted user" in the reader's language ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "shown", "not_shown"),
    [("en", "Deleted user", "Usunięty użytkownik"), ("pl", "Usunięty użytkownik", "Deleted user")],
)
def test_a_deleted_persons_name_is_shown_in_the_readers_language(
    people, tickets, login_with_otp, language, shown, not_shown
):
    """The records keep one fixed marker; the ticket page, the dialog, the desk (reporter, dialog, history), the
    user list and the e-mails show it in the reader's language (core.names.person_name)."""
    person = people["customer"]
    user_delete_anonymise(user=person)
    own = Ticket.objects.get(pk=tickets["own"].pk)
    assert own.reporter_name == DELETED_USER_NAME == "Deleted user"  # stored the same in every language

    colleague, engineer = people["colleague"], people["engineer"]
    for reader in (colleague, engineer):
        reader.language = language
        reader.save()
    engineer.is_superuser = True  # the user list needs its permission
    engineer.save()
    page = login_with_otp(colleague, with_client=Client()).get(f"/tickets/{own.number}/").content.decode()
    # Opened by (the reporter), the author of the first message, and the timeline's "opened by" and "added to the
    # copies by".
    assert page.count(shown) == 4 and not_shown not in page
    theirs = login_with_otp(colleague, with_client=Client()).get(f"/tickets/{tickets['theirs'].number}/")
    assert shown in theirs.content.decode()

    desk = login_with_otp(engineer, with_client=Client())
    desk_page = desk.get(f"/admin/tickets/ticket/{own.pk}/change/").content.decode()
    assert shown in desk_page and not_shown not in desk_page
    users = desk.get("/admin/accounts/user/", {"q": f"deleted-{person.pk}@"}).content.decode()
    assert shown in users and not_shown not in users

    message = own.messages.get(author=person)
    email = email_render(
        template="tickets/emails/ticket_message",
        context={"ticket": own, "message": message, "attachments": [], "ticket_url": "https://myhezo.pl/"},
        language=language,
    )
    assert f"{shown}, " in email.text
    assert shown in email.html and not_shown not in email.text + email.html


def test_the_export_names_devices_in_the_serial_notation_of_every_page(
    people, contract, service_plans, company, login_with_otp
):
    """(H)-SERIAL for a serial with one line, (Hn)-SERIAL when the serial has several (SPEC §2), never bare."""
    from contracts.tests.factories import make_contract

    customer = people["customer"]
    second = make_contract(customer=company, number="A100002", serials=("FG60FTK20005678",))
    only_line = contract.lines.get(serial="FG100FTK20001234")
    shared_line = second.lines.get(serial="FG60FTK20005678")
    make_ticket(author=customer, line=only_line, title="On the only line of its serial")
    make_ticket(author=customer, line=shared_line, title="On the second line of a shared serial")

    data = json.loads(login_with_otp(customer).get("/accounts/settings/data/").content)

    devices = {t["title"]: t["device"] for t in data["tickets_reported"]}
    assert devices == {
        "On the only line of its serial": "(H)-FG100FTK20001234",
        "On the second line of a shared serial": f"(H{shared_line.service_index})-FG60FTK20005678",
    }
    assert shared_line.service_index == 2
    assert devices["On the second line of a shared serial"] == shared_line.notation
