"""One date and time format (issue 18, item 3): day, month abbreviation, year and a 24-hour time in Warsaw,
`3 Dec 2026, 22:38` / `3 gru 2026, 22:38`, the same through core.dates, the pages, the desk and the e-mails;
never Django's US `12/03/2026 10:39 p.m.`, never a double space or a double period."""

import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.utils import translation

from core.dates import date_display, datetime_display, relative_display
from tickets import services
from tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

# (instant in UTC, English, Polish): DST changes, midnight, noon, every month's abbreviation somewhere.
INSTANTS = [
    (datetime(2026, 12, 3, 21, 38, tzinfo=UTC), "3 Dec 2026, 22:38", "3 gru 2026, 22:38"),
    # 29 March 2026: 02:00 CET becomes 03:00 CEST.
    (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), "29 Mar 2026, 01:59", "29 mar 2026, 01:59"),
    (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "29 Mar 2026, 03:00", "29 mar 2026, 03:00"),
    # 25 October 2026: 03:00 CEST becomes 02:00 CET, so 02:30 comes twice.
    (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "25 Oct 2026, 02:30", "25 paź 2026, 02:30"),
    (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "25 Oct 2026, 02:30", "25 paź 2026, 02:30"),
    # Midnight in Warsaw is still the old year in UTC.
    (datetime(2026, 12, 31, 23, 0, tzinfo=UTC), "1 Jan 2027, 00:00", "1 sty 2027, 00:00"),
    (datetime(2026, 6, 15, 10, 0, tzinfo=UTC), "15 Jun 2026, 12:00", "15 cze 2026, 12:00"),
    (datetime(2026, 2, 9, 11, 5, tzinfo=UTC), "9 Feb 2026, 12:05", "9 lut 2026, 12:05"),
    (datetime(2026, 4, 1, 6, 0, tzinfo=UTC), "1 Apr 2026, 08:00", "1 kwi 2026, 08:00"),
    (datetime(2026, 5, 1, 10, 0, tzinfo=UTC), "1 May 2026, 12:00", "1 maj 2026, 12:00"),
    (datetime(2026, 7, 1, 10, 0, tzinfo=UTC), "1 Jul 2026, 12:00", "1 lip 2026, 12:00"),
    (datetime(2026, 8, 1, 10, 0, tzinfo=UTC), "1 Aug 2026, 12:00", "1 sie 2026, 12:00"),
    (datetime(2026, 9, 1, 10, 0, tzinfo=UTC), "1 Sep 2026, 12:00", "1 wrz 2026, 12:00"),
    (datetime(2026, 11, 1, 10, 0, tzinfo=UTC), "1 Nov 2026, 11:00", "1 lis 2026, 11:00"),
]

# What must never appear: a numeric day/month that reads both ways, a 12-hour clock, Django's Polish
# "d-m-Y  H:i" (two spaces), a sentence ending in "p.m.." or "2026..".
US_OR_NUMERIC_DATE = re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{4}\b")
TWELVE_HOUR = re.compile(r"\d:\d\d\s*[ap]\.?m\b", re.IGNORECASE)
DOUBLE_SPACE_IN_DATE = re.compile(r"\d[ \u00a0]{2,}\d")
DOUBLE_PERIOD = re.compile(r"(?<!\.)\.\.(?!\.)")


def assert_readable_dates(text: str) -> None:
    assert not US_OR_NUMERIC_DATE.search(text), US_OR_NUMERIC_DATE.search(text)
    assert not TWELVE_HOUR.search(text), TWELVE_HOUR.search(text)
    assert not DOUBLE_SPACE_IN_DATE.search(text), DOUBLE_SPACE_IN_DATE.search(text)
    assert not DOUBLE_PERIOD.search(text), DOUBLE_PERIOD.search(text)


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", "", html)


@pytest.mark.parametrize(("instant", "english", "polish"), INSTANTS)
def test_the_helper_shows_every_instant_in_warsaw_day_month_year_24_hours(instant, english, polish):
    for language, expected in (("en", english), ("pl", polish)):
        with translation.override(language):
            shown = datetime_display(instant)
            assert shown == expected
            assert_readable_dates(shown)


def test_a_day_alone_and_nothing_at_all():
    with translation.override("en"):
        assert date_display(date(2026, 12, 3)) == "3 Dec 2026"
        # An instant's day is its day in Warsaw: 23:30 UTC on 3 December is already the 4th there.
        assert date_display(datetime(2026, 12, 3, 23, 30, tzinfo=UTC)) == "4 Dec 2026"
        assert datetime_display(None) == date_display(None) == "—"
    with translation.override("pl"):
        assert date_display(date(2026, 12, 3)) == "3 gru 2026"


def test_relative_time_beside_a_due_time():
    now = datetime(2026, 12, 3, 21, 38, tzinfo=UTC)
    with translation.override("en"):
        assert relative_display(datetime(2026, 12, 3, 22, 18, tzinfo=UTC), now=now) == "in 40 min"
        assert relative_display(datetime(2026, 12, 3, 18, 38, tzinfo=UTC), now=now) == "3 h ago"
        assert relative_display(datetime(2026, 12, 6, 21, 38, tzinfo=UTC), now=now) == "in 3 days"
    with translation.override("pl"):
        assert relative_display(datetime(2026, 12, 3, 22, 18, tzinfo=UTC), now=now) == "za 40 min"
        assert relative_display(datetime(2026, 12, 3, 18, 38, tzinfo=UTC), now=now) == "3 godz. temu"


@pytest.mark.parametrize(("language", "expected"), [("en", "3 Dec 2026, 22:38"), ("pl", "3 gru 2026, 22:38")])
def test_the_ticket_page_the_desk_and_the_emails_show_the_same_format(
    cast, contract, login_with_otp, outbox, language, expected
):
    customer, engineer = cast["customer"], cast["engineer"]
    for person in (customer, engineer):
        person.language = language
        person.save(update_fields=["language"])
    with time_machine.travel(datetime(2026, 12, 3, 21, 38, tzinfo=UTC), tick=False):
        outbox.mark()
        ticket = make_ticket(author=customer, contract=contract)
        services.ticket_escalate(ticket=ticket, actor=customer, reason="Nobody answers.")
        emails = outbox.all()

        page = visible_text(login_with_otp(customer).get(ticket.get_portal_url()).content.decode())
        desk = visible_text(login_with_otp(engineer).get(ticket.get_desk_url()).content.decode())

    escalated = {"en": f"Escalated on {expected}.", "pl": f"Eskalowane {expected}."}[language]
    for text in (page, desk):
        flat = " ".join(text.split())
        assert expected in flat and escalated in flat
        assert_readable_dates(text)
    to_customer = next(email for email in emails if customer.email in email.to)
    assert expected in to_customer.body_text and expected in to_customer.body_html
    for email in emails:
        for text in (email.subject, email.body_text, visible_text(email.body_html)):
            assert_readable_dates(text)
