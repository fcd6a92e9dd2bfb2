"""The engineers' queue (SPEC §7, issue 17 item 1): ordered by the next SLA due time (missed first, then at risk,
then the soonest), then priority; quick filters; icons only where something is wrong; the query count pinned."""

import re
from datetime import datetime

import pytest
import time_machine

from sla.businesstime import WARSAW
from tickets import services
from tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 9, 10, 40, tzinfo=WARSAW)  # a Monday


def at(hour, minute):
    return datetime(2026, 11, 9, hour, minute, tzinfo=WARSAW)


@pytest.fixture
def desk(cast, login_with_otp):
    return login_with_otp(cast["engineer"])


@pytest.fixture
def english(cast):
    cast["engineer"].language = "en"
    cast["engineer"].save()


@pytest.fixture
def queue(cast, contract):
    """HEZO 360 tickets at 10:40 on a Monday, made so that the due time alone would order them differently."""

    def opened(when, priority, title):
        with time_machine.travel(when, tick=False):
            return make_ticket(author=cast["customer"], contract=contract, priority=priority, title=title)

    tickets = {
        "missed": opened(at(9, 30), "critical", "Missed"),  # 1 h 24x7: due 10:30, past
        "at_risk": opened(at(9, 0), "question", "At risk"),  # 2 h 8x5: due 11:00, at risk from 10:36
        "soonest": opened(at(9, 55), "critical", "Soonest"),  # due 10:55, at risk only from 10:43
        "waiting_critical": opened(at(10, 0), "critical", "Waiting critical"),
        "waiting_question": opened(at(10, 10), "question", "Waiting question"),
    }
    with time_machine.travel(at(10, 20), tick=False):
        for name in ("waiting_critical", "waiting_question"):
            services.ticket_status_change(ticket=tickets[name], actor=cast["engineer"], to="waiting")
        services.ticket_assign(ticket=tickets["soonest"], actor=cast["engineer"], assignee=cast["engineer"])
    return tickets


def listed(desk, query="") -> list[str]:
    with time_machine.travel(NOW, tick=False):
        response = desk.get(f"/admin/tickets/ticket/{query}")
    assert response.status_code == 200
    return re.findall(r'class="queue-title" title="([^"]+)"', response.content.decode())


def test_the_queue_puts_missed_then_at_risk_then_the_soonest_then_by_priority(desk, queue):
    assert listed(desk) == ["Missed", "At risk", "Soonest", "Waiting critical", "Waiting question"]


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("?queue=mine", ["Soonest"]),
        ("?queue=unassigned", ["Missed", "At risk", "Waiting critical", "Waiting question"]),
        ("?queue=at_risk", ["At risk"]),
        ("?queue=breached", ["Missed"]),
        ("?queue=waiting", ["Waiting critical", "Waiting question"]),
        ("?queue=at_risk&priority__exact=critical", []),  # the other filters still combine with them
    ],
)
def test_each_quick_filter(desk, queue, query, titles):
    assert listed(desk, query) == titles


@pytest.mark.parametrize(
    ("language", "labels"),
    [
        ("en", ["All", "mine", "unassigned", "at risk", "breached", "waiting for the customer"]),
        ("pl", ["Wszystko", "moje", "nieprzypisane", "zagrożone", "przekroczone", "czekające na klienta"]),
    ],
)
def test_the_quick_filters_are_links_above_the_list_in_polish_and_english(desk, cast, queue, language, labels):
    cast["engineer"].language = language
    cast["engineer"].save()
    with time_machine.travel(NOW, tick=False):
        page = desk.get("/admin/tickets/ticket/?queue=at_risk").content.decode()
    quick = page[page.index('class="queue-quick"') :]
    quick = quick[: quick.index("</nav>")]
    assert re.findall(r">([^<]+)</a>", quick) == labels
    assert 'href="?queue=at_risk" aria-current="true"' in quick


def test_icons_only_where_something_is_wrong_and_the_company_with_its_nip_on_one_cell(desk, english, queue, company):
    with time_machine.travel(NOW, tick=False):
        page = desk.get("/admin/tickets/ticket/").content.decode()
    rows = {
        title: row for row in page.split("<tr")[1:] for title in re.findall(r'class="queue-title" title="([^"]+)"', row)
    }
    assert 'title="SLA breached"' in rows["Missed"] and "icon-clock" not in rows["Missed"]
    assert 'title="SLA at risk"' in rows["At risk"] and ">at risk<" in rows["At risk"]
    for healthy in ("Soonest", "Waiting critical", "Waiting question"):
        assert "<img" not in rows[healthy]
    assert (
        f'<span class="queue-company">{company.name}</span> <span class="queue-nip">{company.nip}</span>'
        in rows["Soonest"]
    )
    assert 'tabindex="0"' in rows["Soonest"]  # the whole title on keyboard focus too


@pytest.mark.parametrize("count", [3, 9])
def test_the_queue_query_count_is_pinned_whatever_the_number_of_tickets(
    desk, cast, contract, count, django_assert_num_queries
):
    for index in range(count):
        with time_machine.travel(at(9, index), tick=False):
            make_ticket(author=cast["customer"], contract=contract, priority="critical", title=f"T{index}")
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(7):
        response = desk.get("/admin/tickets/ticket/?queue=unassigned")
    assert response.content.decode().count('class="queue-title"') == count
