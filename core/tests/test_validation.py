from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contracts.models import Contract
from core.validation import full_clean_held
from tickets.models import Message, MessageKind, TicketCc
from tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(cast, contract):
    return make_ticket(author=cast["customer"], contract=contract)


def message(**relation) -> Message:
    return Message(kind=MessageKind.REPLY, author_name="Anna", body="Dzień dobry", **relation)


def test_a_held_object_is_not_looked_up_again(ticket):
    ticket.refresh_from_db()  # held as loaded
    with CaptureQueriesContext(connection) as queries:
        full_clean_held(message(ticket=ticket))
    assert queries.captured_queries == []


def test_a_bare_id_is_looked_up_and_a_missing_one_refused(ticket):
    with CaptureQueriesContext(connection) as queries:
        full_clean_held(message(ticket_id=ticket.pk))
    assert len(queries.captured_queries) == 1
    with pytest.raises(ValidationError) as error:
        full_clean_held(message(ticket_id=ticket.pk + 1000))
    assert "ticket" in error.value.message_dict


def test_an_object_not_saved_is_not_taken_as_held(ticket):
    ticket.pk = None
    ticket._state.adding = True
    with pytest.raises(ValidationError) as error:
        full_clean_held(message(ticket=ticket))
    assert "ticket" in error.value.message_dict


def test_the_other_checks_still_run(ticket):
    with pytest.raises(ValidationError) as error:
        full_clean_held(Message(ticket=ticket, kind="shout", author_name="Anna", body=""))
    assert set(error.value.message_dict) == {"kind", "body"}


def test_a_relation_inside_a_unique_constraint_keeps_the_constraint_checked(ticket):
    TicketCc.objects.create(ticket=ticket, email="szef@kowalski.example")
    with pytest.raises(ValidationError) as error:
        full_clean_held(TicketCc(ticket=ticket, email="szef@kowalski.example"))
    assert list(error.value.message_dict) == ["__all__"]  # the pair exists already


def test_a_check_constraint_is_checked_and_the_relations_it_does_not_read_are_not_looked_up(contract):
    contract = Contract.objects.select_related("customer", "reseller", "plan").get(pk=contract.pk)
    held = {"customer": contract.customer, "reseller": contract.reseller, "plan": contract.plan}
    with pytest.raises(ValidationError) as error:
        full_clean_held(Contract(number="A100002", starts_on=date(2026, 5, 1), ends_on=date(2026, 4, 30), **held))
    assert list(error.value.message_dict) == ["__all__"]  # ends before it starts

    with CaptureQueriesContext(connection) as queries:
        full_clean_held(Contract(number="A100002", starts_on=date(2026, 5, 1), ends_on=date(2027, 4, 30), **held))
    selects = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("SELECT")]
    assert "contracts_company" not in " ".join(selects) and "contracts_serviceplan" not in " ".join(selects)
    assert len(selects) == 2  # the number's unique check and the term's constraint
