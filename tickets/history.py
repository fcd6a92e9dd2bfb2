"""A ticket's history as people read it (SPEC §4 timeline, §7 desk history).

A history row (`TicketEvent`) stores an action code and values: codes for statuses, priorities and sources,
"true"/"false" for a yes/no, ISO 8601 instants and ids in `data`. Nothing in it is a sentence, so each reader
sees it in their own language, drawn here:

- the desk's History table: what, before → after, for every row (`history_for_desk`);
- the customer's timeline between the messages (`timeline_for_reader`): a sentence per row that the customer
  may see; partners see the same without the CC addresses and the consent given to them.

Apps above `tickets` describe their own actions (operations: replacements, allowance uses) with
`history_kind_register` from their `AppConfig.ready()`, as they add page panels (README "Layers").
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from contracts.models import Priority
from core.dates import datetime_display
from core.names import person_name

from .models import EventAction, Source, Status, Ticket, TicketEvent, choice_label

CUSTOMER = "customer"
PARTNER = "partner"
BOTH = frozenset({CUSTOMER, PARTNER})
NOBODY: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Described:
    """One row in the reader's language. `sentence` is the timeline's line ("" when the row has none);
    `link` a (url, text) the line offers, e.g. a carrier's tracking page."""

    what: str
    before: str = ""
    after: str = ""
    sentence: str = ""
    link: tuple[str, str] | None = None


@dataclass(frozen=True)
class HistoryKind:
    """How rows of one action are described, and which portal readers see them on the timeline (engineers see
    every row on the desk)."""

    describe: Callable[[TicketEvent], Described]
    seen_by: frozenset[str] = NOBODY


_kinds: dict[str, HistoryKind] = {}


def history_kind_register(action: str, kind: HistoryKind) -> None:
    _kinds[action] = kind


@dataclass(frozen=True)
class HistoryLine:
    """A history row as drawn: plain values, hashable (the timeline remembers it as a fragment)."""

    pk: int
    created_at: datetime
    actor_name: str
    what: str
    before: str
    after: str
    sentence: str
    link: tuple[str, str] | None


def _line(event: TicketEvent, described: Described) -> HistoryLine:
    return HistoryLine(
        pk=event.pk,
        created_at=event.created_at,
        actor_name=person_name(event.actor_name),
        what=described.what,
        before=described.before,
        after=described.after,
        sentence=described.sentence,
        link=described.link,
    )


def _kind(action: str) -> HistoryKind:
    kind = _kinds.get(action)
    if kind is None:
        # An action nobody describes (its app not installed): its label and raw values, for engineers only.
        return HistoryKind(describe=_raw)
    return kind


def _raw(event: TicketEvent) -> Described:
    return Described(what=event.get_action_display(), before=event.old_value, after=event.new_value)


def history_for_desk(events: list[TicketEvent]) -> list[HistoryLine]:
    """Every row, oldest first, in the active language."""
    return [_line(event, _kind(event.action).describe(event)) for event in events]


def timeline_for_reader(ticket: Ticket, *, partner: bool) -> list[HistoryLine]:
    """The rows a customer (or, with `partner`, a consenting partner) sees on the ticket page, newest first, in
    one query."""
    reader = PARTNER if partner else CUSTOMER
    actions = [action for action, kind in _kinds.items() if reader in kind.seen_by]
    events = ticket.events.filter(action__in=actions).order_by("-created_at", "-pk")
    lines = []
    for event in events:
        described = _kinds[event.action].describe(event)
        if described.sentence:
            lines.append(_line(event, described))
    return lines


# --- values as words ----------------------------------------------------------------------------------------


def yes_no(value: str) -> str:
    """A stored yes/no ("true"/"false"; rows from before the codes say "True"/"False") as a word."""
    if value.lower() in {"true", "1"}:
        return pgettext("history", "yes")
    if value.lower() in {"false", "0"}:
        return pgettext("history", "no")
    return value


def instant(value: str | None) -> str:
    """A stored ISO 8601 instant as the portal shows it; anything else as it is."""
    if not value:
        return ""
    try:
        return datetime_display(datetime.fromisoformat(value))
    except ValueError:
        return value


# --- the ticket's own actions -------------------------------------------------------------------------------


def _created(event: TicketEvent) -> Described:
    source = choice_label(Source, event.new_value)
    who = person_name(event.actor_name)
    if event.new_value == Source.LEGACY:
        sentence = _("Ticket carried over from the previous portal.")
    elif event.new_value == Source.PHONE:
        sentence = _("Ticket opened by %(who)s after a phone call.") % {"who": who}
    else:
        sentence = _("Ticket opened by %(who)s.") % {"who": who}
    return Described(what=_("opened"), after=source, sentence=sentence)


def _status(event: TicketEvent) -> Described:
    who = person_name(event.actor_name)
    old, new = event.old_value, event.new_value
    if new == Status.CLOSED:
        sentence = _("Ticket closed by %(who)s.") % {"who": who}
    elif old == Status.CLOSED:
        sentence = _("Ticket reopened by %(who)s.") % {"who": who}
    else:
        sentence = _("Status changed from “%(old)s” to “%(new)s”.") % {
            "old": choice_label(Status, old),
            "new": choice_label(Status, new),
        }
    return Described(
        what=_("status"), before=choice_label(Status, old), after=choice_label(Status, new), sentence=sentence
    )


def _priority(event: TicketEvent) -> Described:
    old, new = choice_label(Priority, event.old_value), choice_label(Priority, event.new_value)
    sentence = _("Priority changed from “%(old)s” to “%(new)s” by %(who)s.") % {
        "who": person_name(event.actor_name),
        "old": old,
        "new": new,
    }
    return Described(what=_("priority"), before=old, after=new, sentence=sentence)


def _assignee(event: TicketEvent) -> Described:
    return Described(what=_("assignee"), before=person_name(event.old_value), after=person_name(event.new_value))


def _cc_added(event: TicketEvent) -> Described:
    sentence = _("%(email)s added to the copies by %(who)s.") % {
        "who": person_name(event.actor_name),
        "email": event.new_value,
    }
    return Described(what=_("CC address added"), after=event.new_value, sentence=sentence)


def _cc_removed(event: TicketEvent) -> Described:
    sentence = _("%(email)s removed from the copies by %(who)s.") % {
        "who": person_name(event.actor_name),
        "email": event.old_value,
    }
    return Described(what=_("CC address removed"), before=event.old_value, sentence=sentence)


def _partner_access(event: TicketEvent) -> Described:
    granted = yes_no(event.new_value) == yes_no("true")
    who = person_name(event.actor_name)
    if granted:
        sentence = _("Access for the reseller granted by %(who)s.") % {"who": who}
    else:
        sentence = _("Access for the reseller withdrawn by %(who)s.") % {"who": who}
    return Described(
        what=_("reseller access"), before=yes_no(event.old_value), after=yes_no(event.new_value), sentence=sentence
    )


def _reseller_changed(event: TicketEvent) -> Described:
    sentence = _("The contract's reseller changed: the access given to %(company)s ended.") % {
        "company": event.old_value or "—"
    }
    return Described(
        what=_("reseller changed: access withdrawn"),
        before=event.old_value,
        after=event.new_value,
        sentence=sentence,
    )


def _escalated(event: TicketEvent) -> Described:
    sentence = _("Ticket escalated by %(who)s: “%(reason)s”") % {
        "who": person_name(event.actor_name),
        "reason": event.new_value,
    }
    return Described(what=_("escalated"), after=event.new_value, sentence=sentence)


def _phone_contact(event: TicketEvent) -> Described:
    # The call took place; what was said stays in the engineers' log (SPEC §4).
    sentence = _("Phone call with %(who)s (HEZO).") % {"who": person_name(event.actor_name)}
    return Described(what=_("phone contact"), sentence=sentence)


history_kind_register(EventAction.CREATED, HistoryKind(_created, BOTH))
history_kind_register(EventAction.STATUS, HistoryKind(_status, BOTH))
history_kind_register(EventAction.PRIORITY, HistoryKind(_priority, BOTH))
history_kind_register(EventAction.ASSIGNEE, HistoryKind(_assignee))
history_kind_register(EventAction.CC_ADDED, HistoryKind(_cc_added, frozenset({CUSTOMER})))
history_kind_register(EventAction.CC_REMOVED, HistoryKind(_cc_removed, frozenset({CUSTOMER})))
history_kind_register(EventAction.PARTNER_ACCESS, HistoryKind(_partner_access, frozenset({CUSTOMER})))
history_kind_register(EventAction.RESELLER_CHANGED, HistoryKind(_reseller_changed, frozenset({CUSTOMER})))
history_kind_register(EventAction.ESCALATED, HistoryKind(_escalated, BOTH))
history_kind_register(EventAction.PHONE_CONTACT, HistoryKind(_phone_contact, BOTH))
