from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The customer's pages that bring several apps together: the dashboard and the contracts page."""

    name = "portal"
    verbose_name = _("Portal")
