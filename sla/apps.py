from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sla"
    verbose_name = _("SLA")

    def ready(self):
        from tickets.panels import TicketPagePanel, ticket_page_panel_register

        from . import receivers  # noqa: F401  (connects the ticket signals)
        from .selectors import clocks_panel

        # The customer's ticket page shows the ticket's clocks (SPEC §5).
        ticket_page_panel_register(TicketPagePanel(template="sla/_ticket_clocks.html", context=clocks_panel))
