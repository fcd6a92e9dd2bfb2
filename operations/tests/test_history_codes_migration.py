"""Rows written before history was stored as codes are read back into codes and values (operations 0003,
tickets 0013), whichever language they were written in; a row that cannot be read back keeps its text."""

import importlib

import pytest
from django.apps import apps

from operations.services import replacement_approve
from tickets.models import EventAction, TicketEvent
from tickets.tests.factories import make_ticket
from tickets.tests.history import desk_line

pytestmark = pytest.mark.django_db

operations_0003 = importlib.import_module("operations.migrations.0003_history_codes")
tickets_0013 = importlib.import_module("tickets.migrations.0013_event_data")


def _old_row(ticket, action, old="", new=""):
    return TicketEvent.objects.create(ticket=ticket, actor_name="Jan", action=action, old_value=old, new_value=new)


def test_old_sentences_in_either_language_become_codes_drawn_in_the_readers_language(cast, contract):
    ticket = make_ticket(author=cast["customer"], contract=contract, priority="critical")
    replacement = replacement_approve(ticket=ticket, engineer=cast["engineer"])
    TicketEvent.objects.filter(action=EventAction.REPLACEMENT).delete()
    rows = {
        "approved_pl": _old_row(
            ticket, "replacement", new=f"Zatwierdzono wymianę {replacement.pk}, termin dostawy 28 gru 2026, 17:00."
        ),
        "shipped_pl": _old_row(
            ticket,
            "replacement",
            old=f"Wymiana {replacement.pk}",
            new="przewoźnik: DPD; numer przesyłki: 0000123456789Q; wysłane: 3 gru 2026, 10:15",
        ),
        "delivered_en": _old_row(
            ticket,
            "replacement",
            old=f"Replacement {replacement.pk}",
            new="delivered: 4 Dec 2026, 09:00; delivery clock: missed",
        ),
        "unreadable": _old_row(ticket, "replacement", old="Replacement 7", new="something else entirely"),
        "allowance_pl": _old_row(ticket, "allowance", new="zdalna zmiana konfiguracji (2/5)"),
        "consent": _old_row(ticket, "partner_access", old="False", new="True"),
        "created_pl": _old_row(ticket, "created", new="telefon"),
    }
    tickets_0013.forwards(apps, None)
    operations_0003.forwards(apps, None)
    for row in rows.values():
        row.refresh_from_db()

    assert rows["approved_pl"].new_value == "approved"
    assert rows["approved_pl"].data["replacement"] == replacement.pk
    assert rows["shipped_pl"].data["changes"] == {
        "carrier": "DPD",
        "tracking_number": "0000123456789Q",
        "shipped_at": "2026-12-03T10:15:00+01:00",
    }
    assert desk_line(rows["shipped_pl"], "en").after == (
        "carrier: DPD; tracking number: 0000123456789Q; shipped: 3 Dec 2026, 10:15"
    )
    assert desk_line(rows["delivered_en"], "pl").after == "dostarczone: 4 gru 2026, 09:00; zegar dostawy: przekroczony"
    # Nothing is lost: a sentence that cannot be read back is shown as it was.
    assert rows["unreadable"].data == {"text": "Replacement 7 something else entirely"}
    assert desk_line(rows["unreadable"], "pl").after == "Replacement 7 something else entirely"
    assert (rows["allowance_pl"].new_value, rows["allowance_pl"].data) == ("config_change", {"used": 2, "per_year": 5})
    assert desk_line(rows["allowance_pl"], "en").after == "remote configuration change (2/5)"
    assert (rows["consent"].old_value, rows["consent"].new_value) == ("false", "true")
    assert (desk_line(rows["consent"], "en").before, desk_line(rows["consent"], "en").after) == ("no", "yes")
    assert rows["created_pl"].new_value == "phone"
    assert desk_line(rows["created_pl"], "en").after == "phone"

    # Run twice (a migration re-applied after a rollback of its data): nothing changes.
    before = list(TicketEvent.objects.order_by("pk").values())
    tickets_0013.forwards(apps, None)
    operations_0003.forwards(apps, None)
    assert list(TicketEvent.objects.order_by("pk").values()) == before
