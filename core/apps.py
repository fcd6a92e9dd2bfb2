from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """What every part of the portal shares: public pages, language rules, the e-mail outbox."""

    name = "core"
    verbose_name = _("Portal")
