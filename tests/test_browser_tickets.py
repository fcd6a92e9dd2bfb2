"""A ticket's whole life in real Chromium (issues 4 and 5, "Done when"): a customer opens it with two attachments
and a CC, replies; an engineer answers in admin with a public reply and an internal note; the customer sees
the reply but not the note, closes and reopens; the CC address got the public messages, nothing of the note."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import translation
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.tests.factories import DEFAULT_PASSWORD
from conftest import verify
from core.dates import datetime_display
from tickets.models import Status, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CC = "szef.it@kowalski.example"
NOTE = "Wewnętrzne: klient ma stary firmware, nie wspominać o RMA"
REPLY = "Dzień dobry, proszę zaktualizować firmware do 7.4.5 i zrestartować tunel."


def log_in(page, user, next_url="/"):
    device = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    page.goto(f"/accounts/login/?next={next_url}")
    page.locator('[name="auth-username"]').fill(user.email)
    page.locator('[name="auth-password"]').fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Zaloguj się").click()
    page.locator('[name="token-otp_token"]').fill(f"{totp(device.bin_key, step=30, t0=0, digits=6):06d}")
    page.get_by_role("button", name="Potwierdź").click()


def test_customer_and_engineer_work_a_ticket_through_its_life(
    browser_page, service_plans, customer, company, reseller, engineer
):
    from contracts.tests.factories import make_contract

    make_contract(customer=company, reseller=reseller, number="A100001", serials=("FG100FTK20001234",))
    verify(customer, company)

    # --- the customer opens the ticket from the dashboard ---------------------------------------------
    page = browser_page(locale="pl-PL")
    log_in(page, customer, "/dashboard/")
    page.get_by_role("link", name="Nowe zgłoszenie").first.click()
    page.locator('[name="contract_line"]').select_option(label="(H)-FG100FTK20001234 — Model of FG100FTK20001234")
    page.get_by_label("Krytyczny: urządzenie nie działa").check()
    page.locator('[name="title"]').fill("Tunel IPsec do oddziału <b>nie wstaje</b>")
    page.locator('[name="description"]').fill("Od rana brak połączenia z oddziałem w Krakowie.")
    page.locator('[name="attachments"]').set_input_files(
        [
            {"name": "fortigate.conf", "mimeType": "text/plain", "buffer": b"config system global\nend\n"},
            {"name": "ekran.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n" + b"\x00" * 32},
        ]
    )
    page.locator('[name="cc_emails"]').fill(CC)
    assert "Arkanet Sp. z o.o." in page.locator("label[for=id_partner_access]").inner_text()
    page.get_by_role("button", name="Otwórz zgłoszenie").click()

    ticket = Ticket.objects.get()
    assert ticket.number in page.locator(".messages").inner_text()
    assert page.locator("h1").inner_text() == "Tunel IPsec do oddziału <b>nie wstaje</b>"  # shown as typed
    assert page.locator(".attachments a").all_inner_texts() == ["fortigate.conf", "ekran.png"]
    # Critical on HEZO 360: 24x7, first response within an hour of opening.
    with translation.override("pl"):
        due = datetime_display(ticket.created_at + timedelta(hours=1))
    clock = " ".join(page.get_by_test_id("clock-response").inner_text().split())
    assert clock.startswith(f"Pierwsza reakcja: termin: {due} (za 59 min)") or clock.startswith(
        f"Pierwsza reakcja: termin: {due} (za 1 godz.)"
    ), clock

    page.get_by_role("link", name="Zgłoszenia").first.click()
    assert ticket.number in page.locator("table.tickets").inner_text()
    page.get_by_role("link", name=ticket.number).click()

    page.locator('form.reply [name="body"]').fill("Restart urządzenia nic nie dał.")
    page.get_by_role("button", name="Wyślij").click()
    assert "Twoja wiadomość została dodana do zgłoszenia." in page.locator(".messages").inner_text()

    # --- the engineer answers in the back office -------------------------------------------------------
    desk = browser_page(locale="pl-PL")
    log_in(desk, engineer, f"/admin/tickets/ticket/{ticket.pk}/change/")
    assert ticket.number in desk.locator("#content").inner_text()
    desk.locator("#reply_body").fill(REPLY)
    desk.get_by_role("button", name="Wyślij odpowiedź do klienta").click()
    desk.locator("#note_body").fill(NOTE)
    desk.get_by_role("button", name="Dodaj notatkę wewnętrzną").click()
    assert NOTE in desk.locator("#content").inner_text()

    # --- the customer sees the reply, never the note; closes and reopens -------------------------------
    page.reload()
    dialog = page.locator(".messages-list").inner_text()
    assert REPLY in dialog and NOTE not in dialog
    assert page.get_by_test_id("clock-response").inner_text() == "Pierwsza reakcja: dotrzymany"
    assert dialog.index(REPLY) < dialog.index("Restart urządzenia nic nie dał.")  # newest first
    page.get_by_role("button", name="Problem rozwiązany: zamknij zgłoszenie").click()
    assert page.get_by_test_id("status").inner_text() == "zamknięte"
    page.get_by_role("button", name="Otwórz ponownie zgłoszenie").click()
    assert page.get_by_test_id("status").inner_text() == "w toku"
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS

    # --- what the CC address got -----------------------------------------------------------------------
    to_cc = [m for m in mail.outbox if m.to == [CC]]
    bodies = [m.body + m.alternatives[0][0] for m in to_cc]
    assert len(to_cc) == 5  # opened, the customer's reply, the engineer's reply, closed, reopened
    assert any("Od rana brak połączenia" in body for body in bodies)
    assert any("Restart urządzenia nic nie dał." in body for body in bodies)
    assert any(REPLY in body for body in bodies)
    assert all(NOTE not in body for body in bodies)
    assert all(NOTE not in m.body + m.alternatives[0][0] for m in mail.outbox)
    assert all("<b>nie wstaje</b>" not in m.alternatives[0][0] for m in to_cc)  # escaped in HTML mail
