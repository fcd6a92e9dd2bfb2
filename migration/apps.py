from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MigrationConfig(AppConfig):
    """Import of the previous portal's contracts and open tickets (SPEC §8)."""

    name = "migration"
    verbose_name = _("Legacy import")
