""" "Return overdue" has one definition (operations/models.py: Replacement.is_return_overdue and its database
form ReplacementQuerySet.return_overdue): the faulty unit has not come back and its deadline has passed. Due
back at 10:00 is on time at 10:00:00 and overdue just after; the admin, the hourly flag and both ticket pages
agree with it at that boundary."""

import re
from datetime import timedelta

import pytest
import time_machine

from operations.models import Replacement
from operations.selectors import replacements_for_ticket
from operations.services import replacement_approve, replacement_overdue_flag, replacement_update
from tickets.tests.factories import make_ticket

from .factories import at, update_fields

pytestmark = pytest.mark.django_db

DELIVERED = at(2026, 11, 2, 10, 0)
DUE = at(2026, 11, 9, 10, 0)  # 7 calendar days after delivery (SPEC §6)
JUST_AFTER, A_SECOND_AFTER = DUE + timedelta(microseconds=1), DUE + timedelta(seconds=1)


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def _delivered(cast, contract, *, title="Zamiana"):
    engineer = cast["engineer"]
    with time_machine.travel(DELIVERED - timedelta(hours=3), tick=False) as traveller:
        ticket = make_ticket(author=cast["customer"], contract=contract, priority="critical", title=title)
        replacement = replacement_approve(ticket=ticket, engineer=engineer, replacement_serial="FG100FTK20009999")
        traveller.move_to(DELIVERED)
        return replacement_update(
            replacement=replacement,
            engineer=engineer,
            **update_fields(replacement, shipped_at=DELIVERED - timedelta(hours=2), delivered_at=DELIVERED),
        )


@pytest.fixture
def replacement(cast, contract):
    replacement = _delivered(cast, contract)
    assert replacement.return_due_at == DUE
    return replacement


def test_overdue_strictly_after_the_deadline_and_never_once_returned():
    pending = Replacement(return_due_at=DUE)
    assert [pending.is_return_overdue(now) for now in (DUE - timedelta(seconds=1), DUE, JUST_AFTER)] == [
        False,
        False,
        True,
    ]
    assert not Replacement(return_due_at=DUE, returned_at=DUE).is_return_overdue(A_SECOND_AFTER)
    assert not Replacement(return_due_at=None).is_return_overdue(A_SECOND_AFTER)  # not delivered yet


def test_the_database_form_agrees_with_the_model_at_the_boundary(cast, contract, replacement):
    returned = _delivered(cast, contract, title="Zwrócony")
    Replacement.objects.filter(pk=returned.pk).update(returned_at=DELIVERED + timedelta(days=1))
    with time_machine.travel(DELIVERED - timedelta(hours=3), tick=False):
        replacement_approve(
            ticket=make_ticket(author=cast["customer"], contract=contract, priority="critical", title="W drodze"),
            engineer=cast["engineer"],
        )
    replacements = list(Replacement.objects.all())
    assert len(replacements) == 3
    for now in (DUE, JUST_AFTER):
        in_python = {r.pk for r in replacements if r.is_return_overdue(now)}
        assert set(Replacement.objects.return_overdue(now).values_list("pk", flat=True)) == in_python, now
        not_overdue = set(Replacement.objects.return_not_overdue(now).values_list("pk", flat=True))
        assert not_overdue == {r.pk for r in replacements} - in_python, now
    assert {r.pk for r in replacements if r.is_return_overdue(JUST_AFTER)} == {replacement.pk}


def test_the_hourly_flag_goes_up_only_after_the_deadline(replacement):
    assert replacement_overdue_flag(now=DUE) == 0
    assert replacement_overdue_flag(now=JUST_AFTER) == 1
    replacement.refresh_from_db()
    assert replacement.overdue_flagged_at == JUST_AFTER


def test_pages_get_the_state_at_one_instant(replacement):
    [shown] = replacements_for_ticket(replacement.ticket, DUE)
    assert shown.return_overdue is False and shown.delivery_clock.breached is False
    [shown] = replacements_for_ticket(replacement.ticket, JUST_AFTER)
    assert shown.return_overdue is True and shown.delivery_clock.breached is False  # delivered in time


def test_the_customer_page_warns_only_after_the_deadline(cast, replacement, login_with_otp):
    number = replacement.ticket.number
    for now, overdue in ((DUE, False), (A_SECOND_AFTER, True)):
        with time_machine.travel(now, tick=False):
            page = login_with_otp(cast["customer"]).get(f"/tickets/{number}/").content.decode()
        badge = re.search(r'<span class="badge( warn)?">Zwróć uszkodzone urządzenie do 9 lis 2026, 10:00', page)
        assert badge is not None and (badge.group(1) is not None) is overdue, now


def test_the_desk_and_the_admin_list_show_it_only_after_the_deadline(cast, replacement, login_with_otp):
    for now, overdue in ((DUE, False), (A_SECOND_AFTER, True)):
        with time_machine.travel(now, tick=False):
            desk = login_with_otp(cast["engineer"])
            page = text(desk.get(f"/admin/tickets/ticket/{replacement.ticket.pk}/change/"))
            filtered = text(desk.get("/admin/operations/replacement/?return_overdue=yes"))
            others = text(desk.get("/admin/operations/replacement/?return_overdue=no"))
        assert ("zwrot po terminie" in page) is overdue, now
        assert (replacement.ticket.number in filtered) is overdue, now
        assert (replacement.ticket.number in others) is not overdue, now
