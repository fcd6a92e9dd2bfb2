from celery import shared_task

from . import sources


@shared_task(acks_late=True)
def mail_receive() -> dict:
    """The receiver, every minute from beat (SPEC §9); each message is received once whoever runs it."""
    return dict(sources.mail_receive())
