"""The report for account managers (issue 17 item 8): the figures per company, contract and Warsaw month on known
data, the CSV with the page's figures, the filters, bad filters, who may open it, and its pinned query count."""

import csv
import io
from datetime import date, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.test import Client

from accounts.tests.factories import UserFactory
from contracts.models import ServiceWindow
from contracts.tests.factories import CompanyFactory, make_contract
from operations.models import AllowanceUse, Replacement
from operations.tests.factories import at
from reports.selectors import ReportFilter, report_build, report_columns
from sla.models import ClockState, Outcome, SlaClock
from tickets.models import Status
from tickets.services import ticket_create_by_phone, ticket_status_change
from tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

URL = "/admin/reports/report/"
CSV_URL = "/admin/reports/report/csv/"
NOW = at(2026, 12, 10, 12, 0)


@pytest.fixture
def manager(db):
    """An engineer in the Engineers group, which holds `reports.view_report`."""
    user = UserFactory(email="opiekun@myhezo.example", is_staff=True, language="en")
    user.groups.add(Group.objects.get(name="Engineers"))
    return user


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def opened(when, *, author, contract):
    with time_machine.travel(when, tick=False):
        return make_ticket(author=author, contract=contract)


def closed(ticket, when, *, engineer):
    with time_machine.travel(when, tick=False):
        ticket_status_change(ticket=ticket, actor=engineer, to=Status.CLOSED)


def clock(ticket, kind, *, outcome="", stopped_at=None, due_at, state=ClockState.STOPPED):
    return SlaClock.objects.create(
        ticket=ticket,
        kind=kind,
        window=ServiceWindow.ALWAYS,
        target=timedelta(hours=4),
        started_at=ticket.created_at,
        due_at=due_at,
        state=state,
        stopped_at=stopped_at,
        outcome=outcome,
    )


@pytest.fixture
def known(cast, contract, other_contract, company):
    """Kowalski's two contracts over October and November 2026, and one ticket of another company."""
    customer, engineer = cast["customer"], cast["engineer"]
    second = make_contract(customer=company, number="A100002", serials=("FG40FTK20009999",))
    t1 = opened(at(2026, 10, 5, 10, 0), author=customer, contract=contract)
    t2 = opened(at(2026, 10, 31, 23, 30), author=customer, contract=contract)  # still October in Warsaw
    t3 = opened(at(2026, 11, 1, 0, 30), author=customer, contract=contract)  # already November in Warsaw
    t4 = opened(at(2026, 11, 15, 9, 0), author=customer, contract=second)
    opened(at(2026, 11, 5, 9, 0), author=cast["other"], contract=other_contract)
    closed(t1, at(2026, 11, 3, 10, 0), engineer=engineer)
    closed(t4, at(2026, 11, 16, 10, 0), engineer=engineer)

    # The clocks, as known data (the ones the services started are replaced).
    SlaClock.objects.all().delete()
    clock(t1, "response", outcome=Outcome.MET, stopped_at=at(2026, 10, 5, 10, 30), due_at=at(2026, 10, 5, 14, 0))
    clock(t1, "reply", outcome=Outcome.MISSED, stopped_at=at(2026, 11, 2, 9, 0), due_at=at(2026, 10, 30, 9, 0))
    # Still running, due on 1 November and overdue now: missed in November.
    clock(t3, "response", state=ClockState.RUNNING, due_at=at(2026, 11, 1, 9, 0))
    # Running and not due yet; stopped without an answer: neither counts.
    clock(t2, "response", state=ClockState.RUNNING, due_at=at(2026, 12, 20, 9, 0))
    clock(t2, "reply", outcome=Outcome.CANCELLED, stopped_at=at(2026, 11, 1, 9, 0), due_at=at(2026, 11, 2, 9, 0))
    clock(t4, "delivery", outcome=Outcome.MET, stopped_at=at(2026, 11, 16, 9, 0), due_at=at(2026, 11, 17, 9, 0))

    Replacement.objects.create(
        ticket=t1,
        approved_at=at(2026, 10, 6, 9, 0),
        shipped_at=at(2026, 10, 7, 9, 0),
        delivered_at=at(2026, 11, 2, 9, 0),
    )
    AllowanceUse.objects.create(contract=contract, ticket=t1, kind="config_change", used_at=at(2026, 10, 8, 9, 0))
    for day in (10, 11):
        AllowanceUse.objects.create(contract=contract, ticket=t3, kind="firmware_upgrade", used_at=at(2026, 11, day))
    return {"second": second}


def figures(report) -> dict:
    """{(contract, month): {column label: figure}} without the zeros."""
    return {
        (row.contract_number, row.month_display): {
            str(column.label): n for column, n in zip(report.columns, row.figures(report.columns), strict=True) if n
        }
        for row in report.rows
    }


EXPECTED_KOWALSKI = {
    ("A100001", "2026-10"): {
        "tickets opened": 2,
        "first response: met": 1,
        "replacements approved": 1,
        "replacements shipped": 1,
        "uses: remote configuration change": 1,
    },
    ("A100001", "2026-11"): {
        "tickets opened": 1,
        "tickets closed": 1,
        "first response: missed": 1,
        "next reply: missed": 1,
        "replacements delivered": 1,
        "uses: firmware upgrade": 2,
    },
    ("A100002", "2026-11"): {
        "tickets opened": 1,
        "tickets closed": 1,
        "replacement delivery: met": 1,
    },
}


def test_the_figures_per_contract_and_warsaw_month(known, manager, frozen, settings):
    settings.LANGUAGE_CODE = "en"
    report = report_build(
        user=manager,
        report_filter=ReportFilter(month_from=date(2026, 1, 1), month_to=date(2026, 12, 1), company="kowalski"),
        now=NOW,
    )
    assert figures(report) == EXPECTED_KOWALSKI
    assert [row.company_nip for row in report.rows] == ["PL5260250274"] * 3
    assert report.totals[:2] == [4, 2]  # opened, closed


def test_the_columns_follow_the_clock_and_allowance_kinds():
    from operations.models import AllowanceKind
    from sla.models import ClockKind

    keys = [column.key for column in report_columns()]
    assert len(keys) == 2 + 2 * len(ClockKind) + 3 + len(AllowanceKind)
    assert [key for key in keys if key[0] == "allowance"] == [("allowance", kind) for kind in AllowanceKind.values]


def page_rows(response) -> list[list[str]]:
    return [
        [row.company_name, row.company_nip, row.contract_number, row.month_display, *map(str, figures)]
        for row, figures in response.context["rows"]
    ]


def test_the_page_shows_the_figures_and_the_csv_has_the_same(known, manager, login_with_otp, frozen):
    client = login_with_otp(manager)
    response = client.get(URL)  # the default: the last 12 months, every company
    assert response.status_code == 200
    html = response.content.decode()
    assert "Kowalski Systemy Sp. z o.o." in html and "A100002" in html and "2026-10" in html
    assert 'class="report-scroll"' in html and "style=" not in html.split('id="content-main"')[1]
    assert len(response.context["rows"]) == 4  # Kowalski's three rows and the other company's November

    link = f"{CSV_URL}?company=&contract=&month_from=2026-01&month_to=2026-12"
    assert f'href="{link}"'.replace("&", "&amp;") in html
    download = client.get(link)
    assert download.status_code == 200
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="myhezo-report-2026-01-2026-12.csv"' in download["Content-Disposition"]
    body = download.content.decode("utf-8")
    assert body.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(body[1:])))
    assert table[0][:6] == ["Company", "NIP", "Contract", "Month", "tickets opened", "tickets closed"]
    assert table[1:] == page_rows(response)


def test_the_csv_header_is_in_the_engineers_language(known, manager, login_with_otp, frozen):
    manager.language = "pl"
    manager.save()
    table = list(csv.reader(io.StringIO(login_with_otp(manager).get(CSV_URL).content.decode("utf-8-sig"))))
    assert table[0][:6] == ["Firma", "NIP", "Umowa", "Miesiąc", "zgłoszenia otwarte", "zgłoszenia zamknięte"]
    assert "pierwsza reakcja: dotrzymano" in table[0]


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"company": "PL 526-025-02-74"}, set(EXPECTED_KOWALSKI)),  # a NIP in any notation
        ({"company": "5260250274"}, set(EXPECTED_KOWALSKI)),
        ({"company": "KOWALSKI systemy"}, set(EXPECTED_KOWALSKI)),  # a part of the name, any case
        ({"company": "żółta"}, {("B200002", "2026-11")}),
        ({"contract": " a100002 "}, {("A100002", "2026-11")}),  # a contract number in any case
        (
            {"month_from": "2026-11", "month_to": "2026-11"},
            {key for key in EXPECTED_KOWALSKI if key[1] == "2026-11"} | {("B200002", "2026-11")},
        ),
        ({"month_from": "2026-10", "month_to": "2026-10", "contract": "A100001"}, {("A100001", "2026-10")}),
        ({"company": "Nobody Ltd"}, set()),
    ],
)
def test_the_filters(known, manager, login_with_otp, frozen, query, expected):
    response = login_with_otp(manager).get(URL, query)
    assert response.status_code == 200
    assert {(row.contract_number, row.month_display) for row, _ in response.context["rows"]} == expected


def test_a_month_filter_keeps_the_figures_of_its_months(known, manager, login_with_otp, frozen):
    response = login_with_otp(manager).get(URL, {"month_from": "2026-11", "month_to": "2026-11", "company": "kowalski"})
    report = response.context["report"]
    assert figures(report) == {key: value for key, value in EXPECTED_KOWALSKI.items() if key[1] == "2026-11"}


@pytest.mark.parametrize(
    "query, message",
    [
        ({"month_from": "2026-13"}, "Enter a month as year and month, for example 2026-03."),
        ({"month_to": "last year"}, "Enter a month as year and month, for example 2026-03."),
        ({"month_from": "2026-11", "month_to": "2026-02"}, "The last month comes before the first one."),
        ({"month_from": "2016-01", "month_to": "2026-02"}, "A report covers at most 60 months."),
        ({"contract": "A10"}, "A contract number is one letter followed by six digits, for example A123456."),
    ],
)
def test_bad_filters_are_explained_not_crashed_on(known, manager, login_with_otp, frozen, query, message):
    client = login_with_otp(manager)
    for url in (URL, CSV_URL):
        response = client.get(url, query)
        assert response.status_code == 400
        html = response.content.decode()
        assert message in html and "errornote" in html
        assert "Download CSV" not in html


def test_bad_filters_are_explained_in_polish(known, manager, login_with_otp, frozen):
    manager.language = "pl"
    manager.save()
    response = login_with_otp(manager).get(URL, {"month_from": "2026-13", "contract": "zzz"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Podaj miesiąc jako rok i miesiąc, na przykład 2026-03." in html
    assert "Numer umowy to jedna wielka litera i sześć cyfr, na przykład A123456." in html


def test_who_may_open_the_report(known, manager, login_with_otp, cast, frozen):
    # A customer (not staff) is sent to the admin login; staff without the permission are refused.
    assert login_with_otp(cast["customer"], with_client=Client()).get(URL).status_code == 302
    bare_staff = login_with_otp(cast["engineer"], with_client=Client())
    assert bare_staff.get(URL).status_code == 403
    assert bare_staff.get(CSV_URL).status_code == 403
    assert "/admin/reports/report/" not in bare_staff.get("/admin/").content.decode()
    assert "/admin/reports/report/" not in bare_staff.get("/admin/tickets/ticket/").content.decode()
    # Without the second factor nobody gets in.
    unverified = Client()
    unverified.force_login(manager)
    assert unverified.get(URL).status_code == 302

    member = login_with_otp(manager, with_client=Client())
    assert member.get(URL).status_code == 200
    assert member.get(CSV_URL).status_code == 200
    assert 'href="/admin/reports/report/"' in member.get("/admin/").content.decode()
    assert 'href="/admin/reports/report/">Reports</a>' in member.get("/admin/tickets/ticket/").content.decode()


def many(cast, service_plans, contracts: int, months: int) -> None:
    """`contracts` contracts of as many companies, each with a ticket, a clock, a replacement and an allowance
    use in each of `months` months."""
    for n in range(contracts):
        company = CompanyFactory()
        contract = make_contract(customer=company, number=f"D{500000 + n}", serials=(f"FGMANY{n:06d}",))
        for month in range(1, months + 1):
            with time_machine.travel(at(2026, month, 10, 9, 0), tick=False):
                ticket = ticket_create_by_phone(
                    contract=contract,
                    serial=f"FGMANY{n:06d}",
                    engineer=cast["engineer"],
                    contact_name="Jan Nowak",
                    contact_email="jan@example.com",
                    priority="non_critical",
                    title="Awaria",
                    description="Nie działa.",
                )
            ticket.status, ticket.closed_at = Status.CLOSED, at(2026, month, 12, 9, 0)
            ticket.save()
            clock(ticket, "reply", outcome=Outcome.MET, stopped_at=at(2026, month, 11), due_at=at(2026, month, 12))
            Replacement.objects.create(ticket=ticket, approved_at=at(2026, month, 11), shipped_at=at(2026, month, 12))
            AllowanceUse.objects.create(
                contract=contract, ticket=ticket, kind="config_review", used_at=at(2026, month, 11)
            )


@pytest.mark.parametrize("contracts, months", [(1, 1), (4, 6)])
def test_the_query_count_does_not_grow_with_the_rows(
    cast, service_plans, manager, login_with_otp, django_assert_num_queries, contracts, months
):
    many(cast, service_plans, contracts, months)
    with time_machine.travel(NOW, tick=False):
        client = login_with_otp(manager)
        client.get(URL)  # warm: the session, the user's permissions
        # The session, the user and the OTP device; then five sources, the companies, the contracts.
        with django_assert_num_queries(10):
            response = client.get(URL)
        assert len(response.context["rows"]) == contracts * months
        with django_assert_num_queries(10):
            assert client.get(CSV_URL).status_code == 200
    report = report_build(
        user=manager, report_filter=ReportFilter(month_from=date(2026, 1, 1), month_to=date(2026, 12, 1)), now=NOW
    )
    with django_assert_num_queries(7):
        report_build(
            user=manager, report_filter=ReportFilter(month_from=date(2026, 1, 1), month_to=date(2026, 12, 1)), now=NOW
        )
    assert all(row.figures(report.columns)[:2] == [1, 1] for row in report.rows)
