"""Replacement and allowance history rows as codes and values (operations/history.py).

Rows written before held sentences in the language of the moment: "Replacement 12 approved, delivery due …",
"carrier: DPD; shipped: 3 Dec 2026, 10:00", "remote configuration change (2/5)". They are read back here with
the labels and date format frozen as they were, in both languages. A row that cannot be read back keeps its
sentence in `data["text"]` and is shown as it was: nothing is lost.
"""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import migrations

WARSAW = ZoneInfo("Europe/Warsaw")

ALLOWANCE_LABELS = {
    "remote configuration change": "config_change",
    "zdalna zmiana konfiguracji": "config_change",
    "configuration and log review": "config_review",
    "przegląd konfiguracji i logów": "config_review",
    "firmware upgrade": "firmware_upgrade",
    "aktualizacja firmware": "firmware_upgrade",
}
FIELD_LABELS = {
    "agreed delivery date": "agreed_delivery_at",
    "uzgodniony termin dostawy": "agreed_delivery_at",
    "delivery clock": "delivery_outcome",
    "zegar dostawy": "delivery_outcome",
    "serial number of the replacement": "replacement_serial",
    "numer seryjny urządzenia zastępczego": "replacement_serial",
    "carrier": "carrier",
    "przewoźnik": "carrier",
    "tracking number": "tracking_number",
    "numer przesyłki": "tracking_number",
    "shipped": "shipped_at",
    "wysłane": "shipped_at",
    "delivered": "delivered_at",
    "dostarczone": "delivered_at",
    "faulty unit returned": "returned_at",
    "uszkodzone urządzenie zwrócone": "returned_at",
}
OUTCOMES = {"met": "met", "dotrzymany": "met", "missed": "missed", "przekroczony": "missed"}
MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "sty"),
            ("feb", "lut"),
            ("mar",),
            ("apr", "kwi"),
            ("may", "maj"),
            ("jun", "cze"),
            ("jul", "lip"),
            ("aug", "sie"),
            ("sep", "wrz"),
            ("oct", "paź"),
            ("nov", "lis"),
            ("dec", "gru"),
        ],
        start=1,
    )
    for name in names
}
INSTANT = re.compile(r"^(\d{1,2}) (\w{3}) (\d{4}), (\d{2}):(\d{2})$")
APPROVED = re.compile(r"^(?:Replacement|Zatwierdzono wymianę) (\d+)")
UPDATED = re.compile(r"^(?:Replacement|Wymiana) (\d+)$")
ALLOWANCE = re.compile(r"^(.+) \((\d+)/(\d+)\)$")
INSTANT_FIELDS = {"agreed_delivery_at", "shipped_at", "delivered_at", "returned_at"}


def instant(text: str) -> str:
    """ "3 Dec 2026, 10:00" (Warsaw) as ISO 8601; anything else as it was (shown as it is)."""
    match = INSTANT.match(text.strip())
    if match is None or match[2].lower() not in MONTHS:
        return text
    day, month, year = int(match[1]), MONTHS[match[2].lower()], int(match[3])
    return datetime(year, month, day, int(match[4]), int(match[5]), tzinfo=WARSAW).isoformat()


def replacement_data(event, replacements) -> tuple[str, dict]:
    approved = APPROVED.match(event.new_value)
    if not event.old_value and approved:
        replacement = replacements.filter(pk=int(approved[1])).select_related("delivery_clock").first()
        clock = replacement.delivery_clock if replacement else None
        return "approved", {
            "replacement": int(approved[1]),
            "due": clock.due_at.isoformat() if clock and clock.due_at else None,
            "hezo_pays_return": bool(replacement and replacement.hezo_pays_return_shipping),
        }
    updated = UPDATED.match(event.old_value)
    if updated:
        changes = {}
        for part in event.new_value.split("; "):
            label, _, value = part.partition(": ")
            name = FIELD_LABELS.get(label.strip().lower())
            if name is None:
                return "", {}
            value = "" if value == "—" else value
            if name in INSTANT_FIELDS:
                value = instant(value) if value else None
            elif name == "delivery_outcome":
                value = OUTCOMES.get(value, value)
            changes[name] = value
        replacement = replacements.filter(pk=int(updated[1])).first()
        return "updated", {
            "replacement": int(updated[1]),
            "changes": changes,
            "carrier": replacement.carrier if replacement else changes.get("carrier", ""),
            "tracking_number": replacement.tracking_number if replacement else changes.get("tracking_number", ""),
        }
    return "", {}


def forwards(apps, schema_editor):
    TicketEvent = apps.get_model("tickets", "TicketEvent")
    Replacement = apps.get_model("operations", "Replacement")
    for event in TicketEvent.objects.filter(action="replacement").iterator():
        if event.data:
            continue
        step, data = replacement_data(event, Replacement.objects)
        if not step:
            step, data = "", {"text": " ".join(filter(None, [event.old_value, event.new_value]))}
        event.new_value, event.old_value, event.data = step, "", data
        event.save(update_fields=["new_value", "old_value", "data"])
    for event in TicketEvent.objects.filter(action="allowance").iterator():
        if event.data:
            continue
        match = ALLOWANCE.match(event.new_value)
        kind = ALLOWANCE_LABELS.get(match[1].strip().lower()) if match else None
        if kind is None:
            event.data = {"text": event.new_value}
        else:
            event.new_value, event.data = kind, {"used": int(match[2]), "per_year": int(match[3])}
        event.save(update_fields=["new_value", "data"])


class Migration(migrations.Migration):
    dependencies = [
        ("operations", "0002_seed_plan_allowances"),
        ("tickets", "0013_event_data"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
