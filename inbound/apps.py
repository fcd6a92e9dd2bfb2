from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboundConfig(AppConfig):
    """Replies by e-mail (SPEC §9): the receiver that turns answers to ticket e-mails into ticket messages."""

    name = "inbound"
    verbose_name = _("Replies by e-mail")
