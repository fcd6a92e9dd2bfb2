from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def sla_due(*args) -> str:
    out = StringIO()
    call_command("sla_due", *args, stdout=out)
    return out.getvalue().strip()


@pytest.mark.parametrize(
    ("args", "due"),
    [
        (("HEZO+", "non_critical", "2026-12-18T16:30:00+01:00"), "2026-12-21T09:30:00+01:00"),
        (("HEZO+", "question", "2026-12-23T15:00:00+01:00"), "2026-12-28T11:00:00+01:00"),
        (("HEZO 360", "non_critical", "2026-11-21T10:00:00+01:00"), "2026-11-23T10:00:00+01:00"),
        (("HEZO+", "critical", "2026-03-29T01:30:00+01:00"), "2026-03-29T03:30:00+02:00"),
        (("HEZO 360", "critical", "2026-03-29T01:30:00+01:00"), "2026-03-29T03:30:00+02:00"),
        (("HEZO+", "critical", "2026-12-23T11:00:00+01:00", "--clock", "delivery"), "2026-12-28T17:00:00+01:00"),
        (("HEZO 360", "non_critical", "2026-12-23T11:00:00+01:00", "--clock", "delivery"), "2026-12-28T11:00:00+01:00"),
        (("HEZO 360", "critical", "2026-12-23T11:00:00+01:00", "--clock", "delivery"), "2026-12-23T19:00:00+01:00"),
        (("hezo 360", "question", "2026-11-24T16:00", "--clock", "reply"), "2026-11-25T12:00:00+01:00"),
    ],
)
def test_worked_examples(service_plans, args, due):
    assert sla_due(*args) == due


def test_clear_errors(service_plans):
    with pytest.raises(CommandError, match="HEZO Max"):
        sla_due("HEZO Max", "critical", "2026-11-24T10:00:00+01:00")
    with pytest.raises(CommandError, match="ISO 8601"):
        sla_due("HEZO+", "critical", "jutro o 10")
    with pytest.raises(CommandError, match="question"):
        sla_due("HEZO+", "question", "2026-11-24T10:00:00+01:00", "--clock", "delivery")
