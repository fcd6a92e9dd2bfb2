"""The customer's ticket pages: opening, the list with filters, the ticket page and its actions."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from conftest import verify
from contracts.models import Priority
from sla.businesstime import WARSAW
from tickets.models import Status, Ticket

from .factories import PNG, make_ticket, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer_client(cast, login_with_otp):
    return login_with_otp(cast["customer"])


def test_new_ticket_form_offers_active_contracts_lines_and_names_the_reseller(
    customer_client, contract, expired_contract
):
    response = customer_client.get("/tickets/new/?contract=a100001")
    page = response.content.decode()
    assert response.status_code == 200
    assert "(H)-FG100FTK20001234" in page and "(H)-FG60FTK20005678" in page
    assert "YEA20OLD0001" not in page  # expired contract
    assert "Arkanet Sp. z o.o." in page  # the consent names the reseller
    for name in ("contract_line", "priority", "title", "description", "attachments", "cc_emails", "partner_access"):
        assert f'name="{name}"' in page
    assert "urządzenie nie działa" in page.lower() or "device does not work" in page.lower()


def test_opening_a_ticket_with_attachments_and_cc(customer_client, contract):
    line = contract.lines.order_by("pk").first()
    response = customer_client.post(
        "/tickets/new/",
        {
            "contract_line": line.pk,
            "priority": "critical",
            "title": "Brak dostępu do FortiGate",
            "description": "Urządzenie nie odpowiada od 8:00.",
            "attachments": [upload(), upload("ekran.png", PNG)],
            "cc_emails": "szef@kowalski.example, it@kowalski.example",
            "partner_access": "on",
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.number}/"
    assert ticket.priority == "critical" and ticket.partner_access
    assert sorted(ticket.ccs.values_list("email", flat=True)) == ["it@kowalski.example", "szef@kowalski.example"]
    assert ticket.messages.get().attachments.count() == 2


def test_a_bad_form_shows_errors_in_polish_and_opens_nothing(customer_client, contract, other_contract):
    foreign_line = other_contract.lines.get()
    response = customer_client.post(
        "/tickets/new/",
        {
            "contract_line": foreign_line.pk,
            "priority": "critical",
            "title": "",
            "description": "x",
            "attachments": [upload("faktura.pdf", b"MZ\x90\x00 not a pdf")],
            "cc_emails": "dobry@example.com, zły",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Wybierz z listy urządzenie, którego dotyczy zgłoszenie." in page
    assert "„zły”" in page or "“zły”" in page
    assert "faktura.pdf" in page
    assert 'id="files-again"' not in page  # the file itself was refused: its own error says so
    assert Ticket.objects.count() == 0


def test_after_a_form_error_the_page_names_the_files_to_choose_again(customer_client, contract):
    """Issue 18 item 8: a bad CC address used to drop the chosen attachments without a word. A browser never
    fills a file field in again, so the page says which files must be chosen again."""
    response = customer_client.post(
        "/tickets/new/",
        {
            "contract_line": contract.lines.first().pk,
            "priority": "critical",
            "title": "Brak dostępu",
            "description": "Urządzenie nie odpowiada.",
            "attachments": [upload(), upload("ekran.png", PNG)],
            "cc_emails": "zły",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and Ticket.objects.count() == 0
    notice = page[page.index('id="files-again"') :].split("</p>")[0]
    assert "Wybierz je ponownie przed wysłaniem" in notice
    assert "ekran.png" in notice and upload().name in notice


def test_a_form_without_a_device_says_what_to_do(customer_client, contract, other_contract):
    response = customer_client.post(
        "/tickets/new/",
        {"contract_line": "", "priority": "question", "title": "Pytanie", "description": "Czy mogę zmienić WAN?"},
        headers={"accept-language": "en"},
    )
    page = response.content.decode()
    assert "Wybierz urządzenie, którego dotyczy zgłoszenie." in page
    assert "active contract of your company" not in page and 'id="files-again"' not in page


def test_list_filters_searches_and_orders_by_latest_activity(customer_client, cast, contract, other_contract):
    older = make_ticket(author=cast["customer"], contract=contract, title="Aktualizacja firmware")
    newer = make_ticket(
        author=cast["colleague"],
        contract=contract,
        title="Pytanie o licencję",
        priority="question",
        line=contract.lines.order_by("pk").last(),
    )
    make_ticket(author=cast["other"], contract=other_contract, title="Cudzy problem")

    def numbers(query=""):
        page = customer_client.get(f"/tickets/{query}").content.decode()
        return [n for n in (older.number, newer.number) if n in page], "Cudzy problem" in page

    assert numbers() == ([older.number, newer.number], False)
    page = customer_client.get("/tickets/").content.decode()
    assert page.index(newer.number) < page.index(older.number)  # newest activity first
    assert numbers("?priority=question") == ([newer.number], False)
    assert numbers("?q=firmware") == ([older.number], False)
    assert numbers("?q=(H)-fg60ftk20005678") == ([newer.number], False)
    assert numbers(f"?q={older.number.lower()}") == ([older.number], False)
    assert numbers("?q=FIRMWARE") == ([older.number], False)  # any case
    assert numbers("?q=AKTUALIZACJA%20FIRM") == ([older.number], False)
    assert numbers("?q=pytanie%20o%20licencj%C4%98") == ([newer.number], False)  # Polish letters, any case
    assert numbers("?q=%25") == ([], False)  # "%" is a character, not "anything"
    assert numbers("?q=_") == ([], False)
    assert numbers("?contract=B200002") == ([], False)


def test_ticket_page_shows_header_and_public_dialog_newest_first(customer_client, cast, contract):
    ticket = make_ticket(author=cast["customer"], contract=contract)
    from tickets import services

    services.ticket_engineer_reply(
        ticket=ticket, engineer=cast["engineer"], body="Notatka wewnętrzna XYZ", internal=True
    )
    services.ticket_engineer_reply(ticket=ticket, engineer=cast["engineer"], body="Proszę o zrzut konfiguracji.")
    page = customer_client.get(f"/tickets/{ticket.number}/").content.decode()
    for text in (ticket.number, ticket.title, "(H)-FG100FTK20001234", "A100001", "HEZO 360", "w toku"):
        assert text in page
    assert "Notatka wewnętrzna XYZ" not in page
    assert page.index("Proszę o zrzut konfiguracji.") < page.index("Po aktualizacji firmware")


def test_reply_close_reopen_cc_consent_and_escalate_from_the_page(customer_client, cast, contract):
    ticket = make_ticket(author=cast["customer"], contract=contract)
    url = f"/tickets/{ticket.number}/"
    assert (
        customer_client.post(url + "reply/", {"body": "Dodatkowe informacje", "attachments": [upload()]}).status_code
        == 302
    )
    assert customer_client.post(url + "cc/", {"email": "szef@kowalski.example"}).status_code == 302
    response = customer_client.post(url + "cc/", {"email": "to nie adres"})
    assert response.status_code == 400 and 'id="id_email_error"' in response.content.decode()
    assert customer_client.post(url + "cc/remove/", {"email": "szef@kowalski.example"}).status_code == 302
    assert customer_client.post(url + "partner-access/", {"partner_access": "1"}).status_code == 302
    assert customer_client.post(url + "escalate/", {"reason": "Pilne"}).status_code == 302
    page = customer_client.get(url).content.decode()
    assert "12 25 25 502" in page
    assert customer_client.post(url + "close/").status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    page = customer_client.get(url).content.decode()
    assert 'name="body"' not in page and "Otwórz ponownie" in page
    assert customer_client.post(url + "reopen/").status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS and ticket.partner_access and ticket.escalated_at
    assert ticket.messages.count() == 2 and not ticket.ccs.exists()


def test_attachment_download_is_a_download_with_nosniff(customer_client, cast, contract):
    ticket = make_ticket(author=cast["customer"], contract=contract, attachments=[upload("zażółć gęślą.conf")])
    attachment = ticket.messages.get().attachments.get()
    response = customer_client.get(f"/tickets/{ticket.number}/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''za%C5%BC%C3%B3%C5%82%C4%87%20g%C4%99%C5%9Bl%C4%85.conf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"].startswith("text/plain")
    assert b"".join(response.streaming_content).startswith(b"config system global")


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_list_and_detail_query_counts_do_not_grow_with_tickets_or_messages(customer_client, cast, contract):
    from tickets import services

    ticket = make_ticket(author=cast["customer"], contract=contract, attachments=[upload()])
    list_small = _count_queries(customer_client, "/tickets/")
    detail_small = _count_queries(customer_client, f"/tickets/{ticket.number}/")
    for i in range(6):
        make_ticket(author=cast["customer"], contract=contract, cc_emails=[f"cc{i}@example.com"])
        services.ticket_engineer_reply(
            ticket=ticket, engineer=cast["engineer"], body=f"Odpowiedź {i}", attachments=[upload()]
        )
        services.ticket_cc_add(ticket=ticket, actor=cast["customer"], email=f"kopia{i}@example.com")
        reader = verify(UserFactory(email=f"partner{i}@arkanet.example"), cast["partner"].company, "partner")
        services.partner_read_record(ticket_id=ticket.pk, user=reader)
    # user and device, contract filter options, count, rows, serial line counts
    assert _count_queries(customer_client, "/tickets/") == list_small == 5
    # user and device, ticket, messages with files, the timeline, clocks, replacements, scheduled work, CCs, the
    # reseller's reads
    # (the session comes from the cache)
    assert _count_queries(customer_client, f"/tickets/{ticket.number}/") == detail_small == 9


@pytest.mark.parametrize(
    ("language", "offered", "escalated", "reason_label"),
    [
        ("pl", "Eskaluj zgłoszenie", "Zgłoszenie eskalowane", "Podany powód"),
        ("en", "Escalate the ticket", "Escalated", "Reason given"),
    ],
)
def test_escalated_ticket_shows_when_and_why_instead_of_the_form(
    cast, contract, login_with_otp, language, offered, escalated, reason_label
):
    """Issue 18 item 9: once escalated, the page says so (when, and the customer's own reason) rather than
    offering the escalation form again."""
    customer = cast["customer"]
    customer.language = language
    customer.save()
    client = login_with_otp(customer)
    ticket = make_ticket(author=customer, contract=contract, priority="critical")
    url = f"/tickets/{ticket.number}/"
    before = client.get(url).content.decode()
    assert offered in before and f'action="{url}escalate/"' in before
    assert 'data-testid="escalation"' not in before

    assert client.post(url + "escalate/", {"reason": "Brak odpowiedzi <b>od dwóch dni</b>"}).status_code == 302
    ticket.refresh_from_db()
    after = client.get(url).content.decode()
    assert offered not in after and f'action="{url}escalate/"' not in after
    assert escalated in after and reason_label in after
    assert (
        'data-testid="escalation-reason">Brak odpowiedzi &lt;b&gt;od dwóch dni&lt;/b&gt;</dd>' in after
    )  # the reason as typed, escaped
    [when] = re.findall(r"<dt>(?:Kiedy|When)</dt><dd>([^<]+)</dd>", after)
    escalated_at = ticket.escalated_at.astimezone(WARSAW)
    assert str(escalated_at.year) in when and escalated_at.strftime(":%M") in when


def _badge_rules() -> dict[str, tuple[str, str]]:
    css = re.sub(r"/\*.*?\*/", "", (Path(settings.BASE_DIR) / "static" / "css" / "portal.css").read_text(), flags=re.S)
    rules = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", css):
        for selector in (s.strip() for s in selectors.split(",")):
            if selector.startswith(".badge."):
                declared = {
                    part.split(":", 1)[0].strip(): part.split(":", 1)[1].strip()
                    for part in body.split(";")
                    if ":" in part
                }
                rules[selector.removeprefix(".badge.")] = (declared.get("background"), declared.get("color"))
    return rules


def test_every_priority_and_status_has_a_badge_of_its_own(cast, contract, login_with_otp):
    """Issue 18 item 9: "critical" no longer looks like "waiting": each priority and each status has its own
    class and no two of them look alike; the list and the ticket page use them."""
    rules = _badge_rules()
    names = [f"priority-{value}" for value in Priority.values] + [f"status-{value}" for value in Status.values]
    assert all(rules.get(name) and all(rules[name]) for name in names), {n: rules.get(n) for n in names}
    looks = [rules[name] for name in names]
    assert len(set(looks)) == len(looks), dict(zip(names, looks, strict=True))

    ticket = make_ticket(author=cast["customer"], contract=contract, priority="critical")
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.WAITING)
    client = login_with_otp(cast["customer"])
    for page in (client.get("/tickets/"), client.get(f"/tickets/{ticket.number}/")):
        html = page.content.decode()
        assert 'class="badge priority-critical"' in html and 'class="badge status-waiting"' in html
