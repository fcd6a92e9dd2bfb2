from celery import shared_task

from . import services


@shared_task(
    acks_late=True,
    autoretry_for=services.TRANSIENT_EMAIL_ERRORS,
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=services.OUTBOX_MAX_ATTEMPTS,
)
def outbox_email_deliver(email_id: int) -> bool:
    return services.outbox_email_send(email_id=email_id)


@shared_task(acks_late=True)
def outbox_sweep() -> int:
    return services.outbox_sweep()
