"""The SLA clocks' box on the engineers' ticket page (registered with the ticket admin): each clock with its
window, target, due time, state and the stretches of time it counted."""

from tickets.admin import DeskPanel, TicketAdmin

from .selectors import clocks_desk_panel

TicketAdmin.desk_panel_register(DeskPanel(template="sla/_desk_clocks.html", context=clocks_desk_panel, slot="top"))
