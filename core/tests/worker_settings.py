"""Settings for a test's Celery worker that is to be caught mid-send (see core/tests/mail_backends.py)."""

from myhezo.settings import *  # noqa: F403

EMAIL_BACKEND = "core.tests.mail_backends.HoldingEmailBackend"
