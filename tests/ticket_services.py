"""The catalogue of public ticket services, for the tests that call every one of them
(test_pages_by_construction.py, test_ticket_guard.py): found from the code, with a table of what each parameter
name can be. A service with a parameter name the table does not know makes those tests fail and say so."""

import inspect
import itertools
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from operations import services as operations_services
from tickets import services as ticket_services
from tickets.models import Ticket
from tickets.services import LegacyTicketData
from tickets.tests.factories import upload


def ticket_services_all() -> list[tuple[str, object]]:
    """Every public ticket service: tickets.services' exports and operations' functions that take a ticket or a
    replacement, keyword-only (the services' convention)."""
    found = []
    for module, names in [
        (ticket_services, ticket_services.__all__),
        (operations_services, [n for n in vars(operations_services) if not n.startswith("_")]),
    ]:
        for name in names:
            function = getattr(module, name)
            if not inspect.isfunction(function) or function.__module__.split(".")[0] != module.__name__.split(".")[0]:
                continue
            parameters = inspect.signature(function).parameters.values()
            if any(p.kind is not p.KEYWORD_ONLY for p in parameters) or not parameters:
                continue  # helpers with positional arguments (return_due, emails_clean…), periodic jobs
            if module is operations_services and not {"ticket", "replacement", "scheduled_work"} & {
                p.name for p in parameters
            }:
                continue
            found.append((f"{module.__name__}.{name}", function))
    return sorted(found)


def candidates(s: dict, service: str) -> dict:
    """What each parameter name can be: tried in order until the service accepts a combination."""
    ticket = Ticket.objects.get(pk=s["shared"].pk)
    people = [s["customer"], s["engineer"], s["partner"]]
    line = ticket.line
    return {
        "ticket": [ticket],
        "ticket_id": [ticket.pk],
        "replacement": list(ticket.replacements.all()) if hasattr(ticket, "replacements") else [],
        "actor": people,
        "author": [s["customer"]],
        "engineer": [s["engineer"]],
        "user": [s["partner"], s["colleague"]],
        "assignee": [s["engineer"]],
        "body": ["Nowa wiadomość"],
        "internal": [False, True],
        "attachments": [[upload("nowy.txt")]],
        "email": ["szef@kowalski.example", "nowy@kowalski.example"]
        if service.endswith("remove")
        else ["nowy@kowalski.example"],
        "reason": ["Brak odpowiedzi od dwóch dni"],
        "allowed": [not ticket.partner_access],
        "priority": [p for p in ("non_critical", "critical", "question") if p != ticket.priority],
        "to": ["in_progress", "waiting", "closed", "new"],
        "line": [line],
        "contract": [ticket.contract],
        # a change of the contract's reseller (contracts.signals), by an engineer in admin or by the import
        "changed_by": [s["engineer"], None],
        "serial": [line.serial],
        "title": ["Nowe zgłoszenie z usługi"],
        "description": ["Opis"],
        "cc_emails": [["kopia@kowalski.example"]],
        "partner_access": [True],
        "contact_name": ["Jan Telefon"],
        "contact_email": ["jan@kowalski.example"],
        "language": ["pl"],
        "kind": ["config_change", "config_review", "firmware_upgrade", "remote_change", "onsite_install"],
        # HEZO 360 scheduled work
        "scheduled_work": list(ticket.scheduled_works.all()) if hasattr(ticket, "scheduled_works") else [],
        "requested_at": [None],
        "agreed_for": [timezone.now() + timedelta(days=3)],
        "done_at": [None],
        "note": ["Zmiana reguły"],
        "replacement_serial": ["FGNEW0001"],
        "carrier": ["DHL"],
        "tracking_number": ["JD0001"],
        "shipped_at": [timezone.now()],
        "delivered_at": [None],
        "returned_at": [None],
        "agreed_delivery_at": [None],
        # GDPR erasure of a person's name and address in tickets
        "former_name": [s["colleague"].get_full_name()],
        "name": ["Usunięty użytkownik"],
        "placeholder_email": ["usuniety@invalid.example"],
        # tickets carried over from the previous portal
        "tickets": [
            [
                LegacyTicketData(
                    line=line,
                    legacy_id=f"L-{Ticket.objects.count()}",
                    title="FortiGate restartuje się",
                    priority="non_critical",
                    status="in_progress",
                    reporter=s["customer"],
                    reporter_name="Anna Kowalska",
                    reporter_email=s["customer"].email,
                    partner_access=False,
                    opened_at=timezone.now() - timedelta(days=30),
                    last_activity_at=timezone.now() - timedelta(days=2),
                    body="Przeniesione",
                    conversation_file=default_storage.save("legacy/conversation.pdf", ContentFile(b"%PDF-1.4\n")),
                    conversation_name="L-1.pdf",
                    conversation_size=9,
                )
            ]
        ],
        # a canned reply kept in admin (it changes no ticket)
        "text_pl": ["Dzień dobry {customer}, w sprawie zgłoszenia {ticket}"],
        "text_en": ["Hello {customer}, about ticket {ticket}"],
    }


def call_somehow(service, candidates: dict, scenario, name: str) -> bool:
    """Call `service` with the first combination of candidate values it accepts; False if it refuses all."""
    parameters = inspect.signature(service).parameters.values()
    unknown = [p.name for p in parameters if p.name not in candidates and p.default is p.empty]
    assert not unknown, f"teach candidates() what {name} takes as {unknown}"
    used = [p.name for p in parameters if p.name in candidates]
    if "email" in used and "former_name" in used:  # erasure: the colleague's own address
        candidates["email"] = [scenario["colleague"].email]
    for values in itertools.product(*(candidates[p] for p in used)):
        try:
            with transaction.atomic():
                service(**dict(zip(used, values, strict=True)))
        except (ValidationError, PermissionDenied, Http404, ValueError):
            continue
        return True
    return False
