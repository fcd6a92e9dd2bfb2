import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone

from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db


def test_bench_seed_fills_companies_tickets_and_messages_with_a_few_large_companies(service_plans):
    call_command("bench_seed", companies=20, tickets=400, messages_per_ticket=3, large_companies=2)
    assert Ticket.objects.count() == 400 and Message.objects.count() == 1200
    sizes = sorted(Ticket.objects.values("company").annotate(n=Count("pk")).values_list("n", flat=True))
    assert sizes[-1] >= 20 and sizes[-2] >= 20  # 5% of the tickets each
    assert Ticket.objects.values("number").distinct().count() == 400
    with pytest.raises(CommandError, match="already has tickets"):
        call_command("bench_seed", companies=2, tickets=2)


def test_every_ticket_has_its_first_response_clock_and_a_scan_right_after_finds_nothing_due(service_plans):
    from sla.models import ClockState, SlaClock
    from sla.services import sla_scan
    from tickets.models import Status

    # Time stands still: a clock due in the very minute of seeding would otherwise fall due before the scan.
    with time_machine.travel(timezone.now(), tick=False):
        call_command("bench_seed", companies=5, tickets=120, messages_per_ticket=1, open_share=1)
        assert not Ticket.objects.filter(status=Status.CLOSED).exists()
        assert SlaClock.objects.count() == 120
        assert SlaClock.objects.filter(state=ClockState.RUNNING).count() == 120
        assert SlaClock.objects.filter(breach_alerted_at__isnull=False).exists()  # some were past due
        assert sla_scan().breach_emails == 0  # those were alerted already, as the minute-by-minute scan would have


def test_closed_tickets_have_met_clocks_and_the_open_share_is_checked(service_plans):
    from sla.models import Outcome, SlaClock

    call_command("bench_seed", companies=5, tickets=50, messages_per_ticket=1, open_share=0)
    assert SlaClock.objects.filter(outcome=Outcome.MET).count() == 50
    with pytest.raises(CommandError, match="share between 0 and 1"):
        call_command("bench_seed", companies=2, tickets=2, open_share=1.5, force=True)
