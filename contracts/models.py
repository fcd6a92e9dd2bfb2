from django.db import models
from django.utils.translation import gettext_lazy as _

from .nip import nip_display, validate_canonical_nip


class Company(models.Model):
    """A customer or reseller, identified by its canonical NIP (SPEC §2)."""

    nip = models.CharField(_("NIP"), max_length=10, unique=True, validators=[validate_canonical_nip])
    name = models.CharField(_("name"), max_length=255)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.nip_display})"

    @property
    def nip_display(self) -> str:
        return nip_display(self.nip)
