from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self):
        from accounts.personal_data import PersonalDataPart, personal_data_part_register

        from . import receivers  # noqa: F401  (connects the contract signals)
        from .selectors import ticket_data_for_export
        from .services import tickets_person_anonymise

        # A person's tickets, messages and reads in "download my data"; their name out of them on deletion.
        personal_data_part_register(PersonalDataPart(export=ticket_data_for_export, anonymise=tickets_person_anonymise))
