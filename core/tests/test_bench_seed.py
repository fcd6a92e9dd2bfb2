import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

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
