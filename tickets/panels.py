"""Boxes that apps above `tickets` add to the customer's ticket page (README "Layers"): the ticket page draws
them without importing those apps. An app registers a panel from its `AppConfig.ready()`."""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from .models import Ticket


@dataclass(frozen=True)
class TicketPagePanel:
    """`template` drawn with `context(ticket)` (plus `ticket`), or nothing when that returns None. The ticket
    came through `ticket_for_user`, so the reader may see it; the panel shows only what the customer's side
    may read of it."""

    template: str
    context: Callable[[Ticket], dict | None]


ticket_page_panels: list[TicketPagePanel] = []


def ticket_page_panel_register(panel: TicketPagePanel) -> None:
    if panel not in ticket_page_panels:
        ticket_page_panels.append(panel)


def ticket_page_panels_render(request: HttpRequest, ticket: Ticket) -> SafeString:
    html = []
    for panel in ticket_page_panels:
        context = panel.context(ticket)
        if context is not None:
            html.append(render_to_string(panel.template, {"ticket": ticket, **context}, request=request))
    return SafeString("".join(html))
