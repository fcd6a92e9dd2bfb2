"""The one comparison behind every "overdue" (core/deadlines.py): a deadline is missed strictly after it."""

from datetime import datetime, timedelta

import pytest

from core.deadlines import is_past, past
from core.models import OutboxEmail
from sla.businesstime import WARSAW

DUE = datetime(2026, 11, 9, 10, 0, tzinfo=WARSAW)
JUST_AFTER = DUE + timedelta(microseconds=1)


def test_due_at_ten_is_on_time_at_ten_and_overdue_the_first_instant_after():
    assert not is_past(DUE, DUE - timedelta(seconds=1))
    assert not is_past(DUE, DUE)
    assert is_past(DUE, JUST_AFTER)
    assert is_past(DUE, DUE + timedelta(seconds=1))


def test_no_due_time_is_never_past():
    assert not is_past(None, JUST_AFTER)


@pytest.mark.django_db
def test_the_database_condition_draws_the_same_line():
    due = OutboxEmail.objects.create(to=["a@example.com"], subject="s", body_text="t", template="x", language="pl")
    OutboxEmail.objects.filter(pk=due.pk).update(created_at=DUE)
    unset = OutboxEmail.objects.create(to=["b@example.com"], subject="s", body_text="t", template="x", language="pl")
    OutboxEmail.objects.filter(pk=unset.pk).update(sent_at=None)

    for now in (DUE - timedelta(seconds=1), DUE, JUST_AFTER):
        in_python = is_past(DUE, now)
        assert OutboxEmail.objects.filter(past("created_at", now), pk=due.pk).exists() is in_python, now
    assert not OutboxEmail.objects.filter(past("sent_at", JUST_AFTER)).exists()  # NULL never matches
