"""The reports for account managers (issue 17 item 8) read the other apps' tables; they store nothing. `Report`
has no rows (its table stays empty, so every tool that walks the models finds a table): it carries the one
permission (`reports.view_report`, given to the Engineers group) and puts the page on the admin index."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Report(models.Model):
    class Meta:
        default_permissions = ()
        permissions = [("view_report", _("Can view the reports for account managers"))]
        verbose_name = _("report for account managers")
        verbose_name_plural = _("reports for account managers")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
