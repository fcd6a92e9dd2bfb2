"""The engineers' queue in real Chromium at 1366×900 (issue 17 "Done when"), in Polish and English: no sideways
scrolling with long titles and company names, the title cut to one line and whole on keyboard focus, the
quick filters above the list."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import verify
from sla.services import ticket_sla_refresh
from tests.test_browser_tickets import log_in
from tickets import services
from tickets.tests.factories import make_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_TITLE = "Tunel IPsec do oddziału w Krakowie zrywa się co kilka godzin po aktualizacji firmware do 7.4.3 " * 2


@pytest.mark.parametrize(
    ("language", "quick", "all_label"), [("pl", "zagrożone", "Wszystko"), ("en", "at risk", "All")]
)
def test_the_queue_fits_1366_px_in_both_languages(
    browser_page, service_plans, customer, company, reseller, engineer, language, quick, all_label
):
    from contracts.tests.factories import make_contract

    company.name = "Przedsiębiorstwo Handlowo-Usługowe Kowalski i Wspólnicy Systemy Informatyczne Sp. z o.o."
    company.save()
    contract = make_contract(customer=company, reseller=reseller, number="A100001", serials=("FG100FTK20001234",))
    verify(customer, company)
    for index, priority in enumerate(["critical", "non_critical", "question"] * 4):
        ticket = make_ticket(author=customer, contract=contract, priority=priority, title=f"{index} {LONG_TITLE}")
        if index % 4 == 0:
            services.ticket_assign(ticket=ticket, actor=engineer, assignee=engineer)
    # the last one with its clock already missed, so that the icons are drawn too
    ticket.clocks.update(due_at=timezone.now() - timedelta(minutes=5))
    ticket_sla_refresh(ticket)

    page = browser_page(locale="pl-PL")
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, engineer, "/admin/")
    engineer.language = language
    engineer.save()
    page.goto("/admin/tickets/ticket/")
    assert page.locator(".queue-quick").get_by_role("link", name=all_label).is_visible()
    page.screenshot(path=f"var/screenshots/1366/{language}-engineer-queue.png")
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, f"{language}: the queue is {scroll} px wide at {inner}"

    title = page.locator(".queue-title").first
    one_line = title.bounding_box()["height"]
    title.focus()  # keyboard focus shows the whole title
    assert title.bounding_box()["height"] > one_line * 2
    assert title.get_attribute("title").startswith("11 ")  # the ticket with the missed clock comes first

    page.locator(".queue-quick").get_by_role("link", name=quick).click()
    assert "queue=at_risk" in page.url
    assert page.evaluate("document.documentElement.scrollWidth") <= inner
