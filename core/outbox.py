"""The outbox (SPEC §11): every e-mail is written to a table in the caller's transaction and sent after commit
by a task, at least once, with a Message-ID fixed by its row; `outbox_sweep` queues again what a lost task
left behind."""

import logging
import smtplib
from datetime import UTC
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone

from .emails import email_render
from .models import OutboxEmail

logger = logging.getLogger(__name__)

# After this many failed attempts an e-mail is marked failed and shown to engineers in admin.
OUTBOX_MAX_ATTEMPTS = 8
# What a temporary delivery problem looks like; anything else is a bug and is raised at once.
TRANSIENT_EMAIL_ERRORS = (smtplib.SMTPException, OSError)


def _outbox_deliver_on_commit(email_id: int) -> None:
    from .tasks import outbox_email_deliver

    # robust: a broker outage must not turn a committed change into an error page; the sweep retries.
    transaction.on_commit(lambda: outbox_email_deliver.delay(email_id), robust=True)


@transaction.atomic
def email_queue(
    *,
    to: list[str],
    template: str,
    context: dict,
    language: str,
    reply_to: list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> OutboxEmail:
    """Write an e-mail to the outbox in the caller's transaction; it is sent after commit. `headers` are extra
    header lines chosen by the caller (threading, Auto-Submitted), one line each."""
    rendered = email_render(template=template, context=context, language=language)
    headers = {name: " ".join(str(value).split()) for name, value in (headers or {}).items()}
    email = OutboxEmail(
        to=list(to),
        reply_to=list(reply_to or []),
        headers=headers,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        template=template,
        language=language,
    )
    email.full_clean()
    email.save()
    _outbox_deliver_on_commit(email.pk)
    return email


def outbox_domain() -> str:
    """The domain of our own Message-IDs: that of the sender address."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2].lower() if "@" in address else "myhezo.invalid"


def outbox_message_id(email: OutboxEmail) -> str:
    """The Message-ID of an outbox e-mail, fixed by its row rather than random per send.

    Delivery is at least once: a crash after the SMTP server accepts a message but before the row is
    marked sent means it is sent again. With the same Message-ID, mail clients and servers recognise the
    second copy as the same message (many hide or drop such duplicates).
    """
    domain = outbox_domain()
    created = email.created_at.astimezone(UTC).strftime("%Y%m%d%H%M%S%f")
    return f"<outbox-{email.pk}.{created}@{domain}>"


def outbox_email_send(*, email_id: int) -> bool:
    """Send one outbox e-mail if it is still pending. Returns whether this call sent it.

    The row lock makes a second sender skip the row while the first sends it, and the status check
    makes a later call a no-op: the same row is never sent twice. A transient failure is recorded and
    raised so that the task retries with back-off.
    """
    error: Exception | None = None
    with transaction.atomic():
        email = (
            OutboxEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, status=OutboxEmail.Status.PENDING)
            .first()
        )
        if email is None:
            return False
        message = EmailMultiAlternatives(
            subject=email.subject,
            body=email.body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=email.to,
            reply_to=email.reply_to or None,
            headers={**(email.headers or {}), "Message-ID": outbox_message_id(email)},
            connection=get_connection(),
        )
        if email.body_html:
            message.attach_alternative(email.body_html, "text/html")
        email.attempts += 1
        try:
            message.send()
        except TRANSIENT_EMAIL_ERRORS as exc:
            error = exc
            email.last_error = repr(exc)[:2000]
            if email.attempts >= OUTBOX_MAX_ATTEMPTS:
                email.status = OutboxEmail.Status.FAILED
            logger.warning("Outbox e-mail %s failed (attempt %s): %r", email.pk, email.attempts, exc)
        else:
            email.status = OutboxEmail.Status.SENT
            email.sent_at = timezone.now()
            email.last_error = ""
        email.save(update_fields=["status", "sent_at", "attempts", "last_error"])
    if error is not None:
        raise error
    return True


def outbox_sweep() -> int:
    """Queue again every pending e-mail that should have gone out by now (a lost task, a dead worker)."""
    cutoff = timezone.now() - settings.MYHEZO_OUTBOX_RETRY_AFTER
    ids = list(
        OutboxEmail.objects.filter(status=OutboxEmail.Status.PENDING, created_at__lte=cutoff).values_list(
            "pk", flat=True
        )[:1000]
    )
    with transaction.atomic():
        for email_id in ids:
            _outbox_deliver_on_commit(email_id)
    return len(ids)


def outbox_send_pending() -> tuple[int, int]:
    """Send, in this process, every e-mail `outbox_sweep` would queue again (no worker needed). Returns (sent,
    failed): a transient failure is recorded on the row (`outbox_email_send`) and tried again next time."""
    cutoff = timezone.now() - settings.MYHEZO_OUTBOX_RETRY_AFTER
    ids = list(
        OutboxEmail.objects.filter(status=OutboxEmail.Status.PENDING, created_at__lte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:1000]
    )
    sent = failed = 0
    for email_id in ids:
        try:
            sent += outbox_email_send(email_id=email_id)
        except TRANSIENT_EMAIL_ERRORS:
            failed += 1
    return sent, failed
