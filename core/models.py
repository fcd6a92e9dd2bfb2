from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxEmail(models.Model):
    """One e-mail to send, written in the same transaction as the change that causes it (SPEC §9).

    The row is rendered when queued, so what is sent is what the change meant, in the recipient's
    language. A task sends it after commit; a periodic sweep retries what is still pending.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    to = models.JSONField(_("recipients"))
    reply_to = models.JSONField(_("reply to"), default=list, blank=True)
    # Extra headers the caller chose (threading: In-Reply-To, References; Auto-Submitted); never user input.
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    subject = models.CharField(_("subject"), max_length=255)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    template = models.CharField(_("template"), max_length=100)
    language = models.CharField(_("language"), max_length=2)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox e-mail")
        verbose_name_plural = _("outbox e-mails")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_at"], condition=models.Q(status="pending"), name="core_outbox_pending_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)}"


class ContactMessage(models.Model):
    """A message from the public contact form, kept so that nothing sent to the helpdesk is lost."""

    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("e-mail address"))
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    company_name = models.CharField(_("company name"), max_length=200, blank=True)
    message = models.TextField(_("message"), max_length=5000)
    language = models.CharField(_("language"), max_length=2)
    created_at = models.DateTimeField(_("received"), auto_now_add=True)
    email_to_helpdesk = models.ForeignKey(
        OutboxEmail, verbose_name=_("e-mail to the helpdesk"), on_delete=models.PROTECT, null=True, editable=False
    )

    class Meta:
        verbose_name = _("contact message")
        verbose_name_plural = _("contact messages")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"
