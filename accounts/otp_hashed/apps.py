from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OtpHashedConfig(AppConfig):
    name = "accounts.otp_hashed"
    label = "otp_hashed"
    verbose_name = _("Backup codes")
    default_auto_field = "django.db.models.BigAutoField"
