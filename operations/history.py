"""The ticket history rows of service operations, drawn in the reader's language (`tickets.history`).

A replacement row stores a step code in `new_value` (APPROVED, UPDATED, RETURN_OVERDUE) and its values in
`data`: the replacement's id, ISO 8601 instants and, for an update, the fields it changed. An allowance row
stores the kind's code and `{"used": n, "per_year": m}`.
"""

from django.utils.text import capfirst
from django.utils.translation import gettext as _

from tickets.history import BOTH, CUSTOMER, Described, HistoryKind, history_kind_register, instant
from tickets.models import EventAction, TicketEvent, choice_label

from .models import AllowanceKind, Replacement, ScheduledWorkKind

APPROVED = "approved"
UPDATED = "updated"
RETURN_OVERDUE = "return_overdue"
SCHEDULED_AGREED = "agreed"
SCHEDULED_DATE_CHANGED = "date_changed"
SCHEDULED_DONE = "done"

_CHANGE_ORDER = [
    "agreed_delivery_at",
    "carrier",
    "tracking_number",
    "replacement_serial",
    "shipped_at",
    "delivered_at",
    "returned_at",
    "return_due_at",
    "delivery_outcome",
]


def _change_rank(name: str) -> int:
    return _CHANGE_ORDER.index(name) if name in _CHANGE_ORDER else len(_CHANGE_ORDER)


_INSTANTS = {"shipped_at", "delivered_at", "returned_at", "return_due_at", "agreed_delivery_at"}


def _field_label(name: str) -> str:
    if name == "agreed_delivery_at":
        return _("agreed delivery date")
    if name == "delivery_outcome":
        return _("delivery clock")
    return str(Replacement._meta.get_field(name).verbose_name)


def _value(name: str, value) -> str:
    if value is None or value == "":
        return "—"
    if name in _INSTANTS:
        return instant(value)
    if name == "delivery_outcome":
        return {"met": _("met"), "missed": _("missed")}.get(value, value)
    return str(value)


def _replacement(event: TicketEvent) -> Described:
    data = event.data or {}
    if "text" in data:
        # A row written before history was stored as codes whose sentence could not be read back: as it was.
        return Described(what=_("replacement (RMA)"), after=data["text"])
    number = data.get("replacement", "")
    what = _("replacement (RMA)")
    step = event.new_value
    if step == APPROVED:
        due = instant(data.get("due"))
        after = _("Replacement %(id)s approved, delivery due %(due)s.") % {"id": number, "due": due}
        if data.get("hezo_pays_return"):
            payer = _("HEZO pays for returning the faulty unit.")
        else:
            payer = _("The return of the faulty unit is at your cost.")
        sentence = _("HEZO approved a replacement device, to be delivered by %(due)s.") % {"due": due}
        return Described(what=what, after=after, sentence=f"{sentence} {payer}")
    if step == RETURN_OVERDUE:
        due = instant(data.get("due"))
        sentence = _("The faulty unit was due back by %(due)s and has not arrived yet.") % {"due": due}
        return Described(what=what, before=_("Replacement %(id)s") % {"id": number}, after=sentence, sentence=sentence)
    changes: dict = data.get("changes", {})
    # In the form's order: PostgreSQL's jsonb keeps no key order.
    after = "; ".join(
        f"{_field_label(name)}: {_value(name, changes[name])}" for name in sorted(changes, key=_change_rank)
    )
    sentences = []
    link = None
    carrier, tracking = data.get("carrier", ""), data.get("tracking_number", "")
    if changes.get("shipped_at"):
        if carrier or tracking:
            sentences.append(
                _("The replacement was shipped on %(when)s: %(carrier)s, tracking number %(tracking)s.")
                % {"when": instant(changes["shipped_at"]), "carrier": carrier or "—", "tracking": tracking or "—"}
            )
        else:
            sentences.append(_("The replacement was shipped on %(when)s.") % {"when": instant(changes["shipped_at"])})
        url = Replacement(carrier=carrier, tracking_number=tracking).tracking_url
        if url:
            link = (url, _("Track the parcel"))
    if changes.get("delivered_at"):
        sentences.append(_("The replacement was delivered on %(when)s.") % {"when": instant(changes["delivered_at"])})
        if changes.get("return_due_at"):
            sentences.append(
                _("Please return the faulty unit by %(due)s.") % {"due": instant(changes["return_due_at"])}
            )
    if changes.get("returned_at"):
        sentences.append(
            _("HEZO received the faulty unit back on %(when)s.") % {"when": instant(changes["returned_at"])}
        )
    if changes.get("agreed_delivery_at"):
        sentences.append(
            _("A later delivery date was agreed: %(when)s.") % {"when": instant(changes["agreed_delivery_at"])}
        )
    return Described(
        what=what,
        before=_("Replacement %(id)s") % {"id": number},
        after=after,
        sentence=" ".join(sentences),
        link=link,
    )


def _allowance(event: TicketEvent) -> Described:
    data = event.data or {}
    if "text" in data:
        return Described(what=_("allowance use"), after=data["text"])
    label = choice_label(AllowanceKind, event.new_value)
    used, per_year = data.get("used", "?"), data.get("per_year", "?")
    sentence = _(
        "Recorded against your contract's allowance: %(kind)s (%(used)s of %(per_year)s this contract year)."
    ) % {
        "kind": label,
        "used": used,
        "per_year": per_year,
    }
    return Described(what=_("allowance use"), after=f"{label} ({used}/{per_year})", sentence=sentence)


def _scheduled(event: TicketEvent) -> Described:
    data = event.data or {}
    kind = choice_label(ScheduledWorkKind, data.get("kind", ""))
    what = _("scheduled work")
    agreed = instant(data.get("agreed_for"))
    step = event.new_value
    if step == SCHEDULED_DATE_CHANGED:
        old = instant(data.get("old"))
        sentence = _("%(kind)s: the agreed date changed from %(old)s to %(new)s.") % {
            "kind": capfirst(kind),
            "old": old,
            "new": agreed,
        }
        return Described(what=what, before=f"{kind}: {old}", after=f"{kind}: {agreed}", sentence=sentence)
    if step == SCHEDULED_DONE:
        done = instant(data.get("done_at"))
        outcome = {"met": _("met"), "missed": _("missed")}.get(data.get("outcome", ""), "")
        sentence = _("%(kind)s carried out on %(when)s.") % {"kind": capfirst(kind), "when": done}
        after = _("carried out on %(when)s") % {"when": done}
        return Described(
            what=what,
            before=f"{kind}: {agreed}",
            after=f"{after} ({outcome})" if outcome else after,
            sentence=sentence,
        )
    sentence = _("%(kind)s agreed for %(when)s.") % {"kind": capfirst(kind), "when": agreed}
    return Described(what=what, after=f"{kind}: {agreed}", sentence=sentence)


def register() -> None:
    history_kind_register(EventAction.REPLACEMENT, HistoryKind(_replacement, BOTH))
    history_kind_register(EventAction.ALLOWANCE, HistoryKind(_allowance, frozenset({CUSTOMER})))
    history_kind_register(EventAction.SCHEDULED, HistoryKind(_scheduled, BOTH))
