from celery import shared_task

from . import outbox


@shared_task(
    acks_late=True,
    autoretry_for=outbox.TRANSIENT_EMAIL_ERRORS,
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=outbox.OUTBOX_MAX_ATTEMPTS,
)
def outbox_email_deliver(email_id: int) -> bool:
    return outbox.outbox_email_send(email_id=email_id)


@shared_task(acks_late=True)
def outbox_sweep() -> int:
    return outbox.outbox_sweep()
