"""Test helper: a history row as a reader of `language` sees it on the desk (tickets/history.py)."""

from django.utils import translation

from tickets.history import HistoryLine, history_for_desk
from tickets.models import TicketEvent


def desk_line(event: TicketEvent, language: str) -> HistoryLine:
    with translation.override(language):
        return history_for_desk([event])[0]
