"""Who may act on a ticket has one home: `tickets.services.base.ticket_actor_check`. Every public ticket
service (tickets' and operations', found from the code) calls it before it changes anything: called by
someone who may not act, it refuses with the guard's error and leaves every table as it was."""

import inspect
import itertools

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from accounts.tests.factories import UserFactory
from tickets import services as ticket_services
from tickets.models import Ticket
from tickets.services.base import CUSTOMERS, ENGINEERS, ENGINEERS_OR_CUSTOMERS, Acting, ticket_actor_check
from tickets.tests.factories import make_ticket

from .ticket_services import call_somehow, candidates, ticket_services_all

# The parameters that name who acts. A service without one must be one of these, each with its own rule.
ACTOR_PARAMETERS = {"actor", "author", "engineer"}
NOT_ACTIONS = {
    "tickets.services.partner_read_record": "records a partner's read; ticket_for_user decides who reads",
    "tickets.services.tickets_person_anonymise": "account deletion, called by accounts for the person deleted",
    "tickets.services.contract_line_for_serial": "a lookup, changes nothing",
    "tickets.services.tickets_legacy_create": "the importer's, run by an operator (manage.py import_legacy)",
    "tickets.services.canned_reply_upsert": (
        "keeps a canned reply, no ticket; admin's model permissions (the Engineers group) or demo_data decide who"
    ),
    "tickets.services.tickets_partner_access_withdraw": (
        "follows a change of the contract's reseller (contracts.signals), which admin or the import allowed"
    ),
}
REFUSALS = {"not_customer", "not_engineer", "line_not_yours"}


@pytest.fixture
def scenario(cast, contract):
    ticket = make_ticket(author=cast["customer"], contract=contract, partner_access=True)
    return {**cast, "shared": ticket, "unverified": UserFactory(email="nowy@kowalski.example")}


def _counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


@pytest.mark.django_db
def test_the_guard_decides_by_capacity_and_company(scenario):
    ticket = scenario["shared"]
    assert ticket_actor_check(user=scenario["engineer"], allowed=ENGINEERS) == Acting.ENGINEER
    assert ticket_actor_check(user=scenario["engineer"], allowed=ENGINEERS_OR_CUSTOMERS) == Acting.ENGINEER
    for name in ("customer", "colleague"):
        assert (
            ticket_actor_check(user=scenario[name], company_id=ticket.company_id, allowed=CUSTOMERS) == Acting.CUSTOMER
        )
    refusals = [
        (scenario["customer"], ENGINEERS, "not_engineer"),
        (scenario["engineer"], CUSTOMERS, "not_customer"),
        (scenario["other"], ENGINEERS_OR_CUSTOMERS, "not_customer"),
        (scenario["partner"], ENGINEERS_OR_CUSTOMERS, "not_customer"),
        (scenario["unverified"], CUSTOMERS, "not_customer"),
    ]
    for user, allowed, code in refusals:
        with pytest.raises(ValidationError) as refused:
            ticket_actor_check(user=user, company_id=ticket.company_id, allowed=allowed)
        assert refused.value.code == code, user


@pytest.mark.django_db
def test_every_ticket_service_refuses_whoever_may_not_act_and_changes_nothing(scenario):
    services = ticket_services_all()
    assert len(services) > 15
    checked = 0
    for name, service in services:
        parameters = set(inspect.signature(service).parameters)
        actors = parameters & ACTOR_PARAMETERS
        if not actors:
            assert name in NOT_ACTIONS, f"{name}: who acts? Name the parameter actor/author/engineer"
            continue
        # Someone who may act works through the service (so a refusal below is not a broken call): on an open
        # ticket or, if it refuses every call there (reopening), a closed one.
        for state in ("open", "closed"):
            _ticket_in_state(scenario, state)
            if call_somehow(service, candidates(scenario, name), scenario, name):
                break
        else:
            pytest.fail(f"{name} refused everybody")
        # …and every outsider is refused by the guard, with nothing changed.
        for outsider in ("other", "partner", "unverified"):
            values = candidates(scenario, name)
            for parameter in actors:
                values[parameter] = [scenario[outsider]]
            before = _counts()
            ticket = Ticket.objects.get(pk=scenario["shared"].pk)
            codes = set()
            for attempt in _attempts(service, values):
                try:
                    attempt()
                except ValidationError as error:
                    codes.add(error.code)
                else:
                    pytest.fail(f"{name} let {outsider} act")
            assert codes and codes <= REFUSALS, (name, outsider, codes)
            assert _counts() == before, (name, outsider)
            assert Ticket.objects.get(pk=ticket.pk).last_activity_at == ticket.last_activity_at
        checked += 1
    assert checked >= 12


def _ticket_in_state(scenario, state: str) -> None:
    ticket = Ticket.objects.get(pk=scenario["shared"].pk)
    if ticket.is_open != (state == "open"):
        move = ticket_services.ticket_reopen if state == "open" else ticket_services.ticket_close
        move(ticket=ticket, actor=scenario["customer"])


def _attempts(service, values: dict):
    """Every combination of the candidate values, each as a call (a few per service)."""
    used = [p for p in inspect.signature(service).parameters if p in values]
    for combination in itertools.product(*(values[p] for p in used)):
        yield lambda combination=combination: service(**dict(zip(used, combination, strict=True)))
