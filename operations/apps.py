from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "operations"
    verbose_name = _("Service operations")

    def ready(self):
        from tickets.panels import TicketPagePanel, ticket_page_panel_register

        from . import history
        from .selectors import replacements_panel, scheduled_work_panel

        # Its rows of a ticket's history, drawn in the reader's language (tickets/history.py).
        history.register()

        # The customer's ticket page shows the ticket's replacements (SPEC §6).
        ticket_page_panel_register(
            TicketPagePanel(template="operations/_ticket_replacements.html", context=replacements_panel)
        )
        # …and its scheduled work with the agreed date (SPEC §6).
        ticket_page_panel_register(
            TicketPagePanel(template="operations/_ticket_scheduled_work.html", context=scheduled_work_panel)
        )
