import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from demo.management.commands.demo_data import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def test_demo_customer_logs_in_with_the_printed_backup_code_and_sees_demo_contracts(client, settings, capsys):
    settings.DEBUG = True
    call_command("demo_data")
    out = capsys.readouterr().out
    assert "klient@example.com" in out and "backup code: demo1111" in out and "TOTP secret" in out

    client.post(
        "/accounts/login/",
        {"login_view-current_step": "auth", "auth-username": "klient@example.com", "auth-password": DEMO_PASSWORD},
    )
    client.post("/accounts/login/", {"wizard_goto_step": "backup"})
    response = client.post("/accounts/login/", {"login_view-current_step": "backup", "backup-otp_token": "demo1111"})
    assert response.status_code == 302
    page = client.get("/dashboard/").content.decode()
    assert "D900001" in page and "D900002" in page and "(H)-FG100FDEMO000001" in page
    tickets = client.get("/tickets/").content.decode()
    assert "Tunel IPsec do oddziału rozłącza się co kilka godzin" in tickets


def test_demo_data_seeds_two_canned_replies_once_that_fill_in_for_the_demo_ticket(settings):
    from tickets.models import CannedReply, Ticket
    from tickets.selectors import canned_reply_text

    settings.DEBUG = True
    call_command("demo_data")
    call_command("demo_data")  # again: updated, not doubled
    replies = list(CannedReply.objects.filter(active=True))
    assert [reply.title for reply in replies] == ["Prośba o logi i konfigurację", "Zalecana aktualizacja firmware"]
    ticket = Ticket.objects.get()
    text = canned_reply_text(canned=replies[0], ticket=ticket)
    assert text.startswith("Dzień dobry Anna Klientka,") and ticket.number in text and ticket.device in text


def test_demo_data_refuses_to_load_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("demo_data")
