from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin

from .codes import code_matches


class BackupCodeDevice(TimestampMixin, ThrottlingMixin, Device):
    """A user's set of backup codes. Each code works once: the one that matches is deleted in the same
    transaction (django-otp verifies inside one), so two requests with the same code cannot both succeed."""

    class Meta:
        verbose_name = _("backup code set")
        verbose_name_plural = _("backup code sets")

    def get_throttle_factor(self):
        return getattr(settings, "OTP_STATIC_THROTTLE_FACTOR", 1)

    def verify_token(self, token) -> bool:
        allowed, _extra = self.verify_is_allowed()
        if not allowed:
            return False
        match = next((code for code in self.codes.all() if code_matches(str(token), code.digest)), None)
        # The DELETE decides: of two concurrent uses of one code, the second deletes nothing.
        if match is not None and BackupCode.objects.filter(pk=match.pk).delete()[0]:
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save()
            return True
        self.throttle_increment()
        return False


class BackupCode(models.Model):
    """One unused code, as a salted hash (see codes.py); never the code itself."""

    device = models.ForeignKey(BackupCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=200)

    class Meta:
        verbose_name = _("backup code")
        verbose_name_plural = _("backup codes")

    def __str__(self) -> str:
        return f"#{self.pk}"
