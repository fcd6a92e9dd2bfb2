from celery import shared_task

from . import services


@shared_task(acks_late=True)
def rma_reminders() -> tuple[int, int]:
    """Every hour on beat; safe to run on several workers at once (each reminder and flag happens once)."""
    return services.replacement_reminders_send(), services.replacement_overdue_flag()
