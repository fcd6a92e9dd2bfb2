"""The partners' read log (issue 7, item 5c): which partner user read which consented ticket, shown to the
customer on that ticket and to nobody else; one row per ticket and reader, one query per read."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import formats, translation

from tickets import services
from tickets.models import PartnerReadLog

from .factories import make_ticket, upload

pytestmark = pytest.mark.django_db

WARSAW = ZoneInfo("Europe/Warsaw")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=WARSAW)


def shown(moment: datetime, language: str) -> str:
    with translation.override(language):
        return formats.date_format(moment, "SHORT_DATETIME_FORMAT")


@pytest.fixture
def shared(cast, contract):
    partner = cast["partner"]
    partner.first_name, partner.last_name = "Marek", "Wiśniewski"
    partner.save()
    for user in (cast["customer"], cast["colleague"]):
        user.language = "en"
        user.save()
    return make_ticket(author=cast["customer"], contract=contract, partner_access=True, attachments=[upload()])


def test_reading_the_page_and_a_file_keeps_one_row_with_first_last_and_count(cast, shared, login_with_otp):
    client = login_with_otp(cast["partner"])
    attachment = shared.messages.get().attachments.get()
    with time_machine.travel(at(2026, 11, 20, 9, 0), tick=False):
        assert client.get(f"/tickets/{shared.number}/").status_code == 200
    with time_machine.travel(at(2026, 11, 21, 13, 30), tick=False):
        assert client.get(f"/tickets/{shared.number}/").status_code == 200
    with time_machine.travel(at(2026, 11, 21, 14, 0), tick=False):
        assert client.get(f"/tickets/{shared.number}/attachments/{attachment.pk}/").status_code == 200

    [read] = PartnerReadLog.objects.all()
    assert (read.ticket, read.user, read.read_count) == (shared, cast["partner"], 3)
    assert read.first_read_at == at(2026, 11, 20, 9, 0)
    assert read.last_read_at == at(2026, 11, 21, 14, 0)


def test_the_customer_and_colleagues_see_who_read_it_the_partner_and_other_companies_do_not(
    cast, shared, login_with_otp, client
):
    from django.test import Client

    partner_client = login_with_otp(cast["partner"], with_client=Client())
    with time_machine.travel(at(2026, 11, 21, 14, 0), tick=False):
        partner_page = partner_client.get(f"/tickets/{shared.number}/").content.decode()
    assert 'data-testid="partner-reads"' not in partner_page and "Wiśniewski" not in partner_page

    expected = f"Marek Wiśniewski (Arkanet Sp. z o.o.), last {shown(at(2026, 11, 21, 14, 0), 'en')}"
    for person in ("customer", "colleague"):
        page = login_with_otp(cast[person], with_client=Client()).get(f"/tickets/{shared.number}/").content.decode()
        assert 'data-testid="partner-reads"' in page
        assert expected in " ".join(page.split()), person

    other = login_with_otp(cast["other"], with_client=Client())
    assert other.get(f"/tickets/{shared.number}/").status_code == 404


def test_customers_and_engineers_reading_are_not_logged_and_withdrawal_keeps_the_record(cast, shared, login_with_otp):
    from django.test import Client

    login_with_otp(cast["customer"], with_client=Client()).get(f"/tickets/{shared.number}/")
    login_with_otp(cast["engineer"], with_client=Client()).get(f"/admin/tickets/ticket/{shared.pk}/change/")
    assert not PartnerReadLog.objects.exists()

    login_with_otp(cast["partner"], with_client=Client()).get(f"/tickets/{shared.number}/")
    services.ticket_partner_access_set(ticket=shared, actor=cast["customer"], allowed=False)
    page = login_with_otp(cast["customer"], with_client=Client()).get(f"/tickets/{shared.number}/").content.decode()
    assert "Marek Wiśniewski (Arkanet Sp. z o.o.)" in page  # who read it while it was shared stays on record


def test_a_partner_that_may_not_read_the_ticket_leaves_no_record(cast, contract, login_with_otp):
    private = make_ticket(author=cast["customer"], contract=contract, partner_access=False)
    client = login_with_otp(cast["partner"])
    assert client.get(f"/tickets/{private.number}/").status_code == 404
    assert not PartnerReadLog.objects.exists()


def test_a_read_costs_the_partner_one_query_and_does_not_grow_with_reads(cast, shared, login_with_otp):
    client = login_with_otp(cast["partner"])
    url = f"/tickets/{shared.number}/"
    counts = []
    for _ in range(4):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
        upserts = [q["sql"] for q in queries if "tickets_partnerreadlog" in q["sql"]]
        assert len(upserts) == 1 and upserts[0].startswith("INSERT")
    # Each view records the read with its one upsert, however many reads came before.
    assert len(set(counts)) == 1, counts
    assert PartnerReadLog.objects.get().read_count == 4
