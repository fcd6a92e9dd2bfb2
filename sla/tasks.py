from dataclasses import asdict

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def sla_scan() -> dict:
    """Every minute on beat; safe to run on several workers at once (each clock is alerted and warned once).
    Returns the e-mails queued, e.g. {"breach_emails": 2, "at_risk_emails": 3}."""
    return asdict(services.sla_scan())
