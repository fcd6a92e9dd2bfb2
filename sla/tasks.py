from celery import shared_task

from . import services


@shared_task(acks_late=True)
def sla_scan() -> int:
    """Every minute on beat; safe to run on several workers at once (each clock is alerted once)."""
    return services.sla_scan()
