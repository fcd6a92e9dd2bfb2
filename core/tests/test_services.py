import smtplib
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from core import outbox, services
from core.emails import email_render
from core.models import ContactMessage, OutboxEmail

pytestmark = pytest.mark.django_db


def submit_contact(**overrides):
    data = {
        "name": "Jan Kowalski",
        "email": "jan@kowalski.example",
        "message": "Nie mogę się zalogować.\nProszę o kontakt.",
        "language": "en",
        "phone": "600 100 200",
        "company_name": "Kowalski Systemy",
    }
    data.update(overrides)
    return services.contact_message_submit(**data)


def test_contact_message_is_kept_and_mailed_to_the_helpdesk_in_polish(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        contact = submit_contact()
    assert ContactMessage.objects.get() == contact
    [sent] = mail.outbox
    assert sent.to == ["pomoc@myhezo.pl"]
    assert sent.reply_to == ["jan@kowalski.example"]
    assert sent.subject == "Formularz kontaktowy: wiadomość od Jan Kowalski"
    assert "Nie mogę się zalogować.\nProszę o kontakt." in sent.body
    html, mimetype = sent.alternatives[0]
    assert mimetype == "text/html" and "Kowalski Systemy" in html
    assert OutboxEmail.objects.get().status == OutboxEmail.Status.SENT


def test_invalid_contact_message_changes_nothing():
    with pytest.raises(ValidationError):
        submit_contact(email="not-an-address")
    assert not ContactMessage.objects.exists()
    assert not OutboxEmail.objects.exists()


def test_nothing_is_sent_before_commit_and_nothing_if_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submit_contact()
    assert mail.outbox == []
    assert len(callbacks) == 1


def test_an_outbox_email_is_sent_once_however_often_it_is_delivered():
    email = queue_email("a@example.com")
    assert outbox.outbox_email_send(email_id=email.pk) is True
    assert outbox.outbox_email_send(email_id=email.pk) is False
    assert len(mail.outbox) == 1


def test_a_resent_outbox_email_keeps_its_message_id():
    # A crash between the SMTP server accepting a message and the row being marked sent means it goes
    # out again; the same Message-ID lets mail clients recognise the copy.
    email = queue_email("a@example.com")
    other = queue_email("b@example.com")
    outbox.outbox_email_send(email_id=email.pk)
    OutboxEmail.objects.filter(pk=email.pk).update(status=OutboxEmail.Status.PENDING, sent_at=None)
    outbox.outbox_email_send(email_id=email.pk)
    outbox.outbox_email_send(email_id=other.pk)
    first, second, third = (m.message()["Message-ID"] for m in mail.outbox)
    assert first == second == outbox.outbox_message_id(email)
    assert first.startswith(f"<outbox-{email.pk}.") and first.endswith("@myhezo.pl>")
    assert third != first


def test_a_transient_smtp_failure_is_recorded_and_raised_for_retry(settings):
    settings.EMAIL_BACKEND = "core.tests.test_services.FailingBackend"
    email = queue_email("a@example.com")
    with pytest.raises(smtplib.SMTPException):
        outbox.outbox_email_send(email_id=email.pk)
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.PENDING
    assert email.attempts == 1
    assert "SMTPServerDisconnected" in email.last_error


def test_after_the_last_attempt_the_email_is_marked_failed(settings):
    settings.EMAIL_BACKEND = "core.tests.test_services.FailingBackend"
    email = queue_email("a@example.com")
    OutboxEmail.objects.filter(pk=email.pk).update(attempts=outbox.OUTBOX_MAX_ATTEMPTS - 1)
    with pytest.raises(smtplib.SMTPException):
        outbox.outbox_email_send(email_id=email.pk)
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.FAILED


def test_sweep_delivers_pending_emails_that_are_overdue_only(django_capture_on_commit_callbacks, settings):
    with django_capture_on_commit_callbacks(execute=False):
        old = queue_email("old@example.com")
    with time_machine.travel(timezone.now() + settings.MYHEZO_OUTBOX_RETRY_AFTER + timedelta(seconds=1)):
        with django_capture_on_commit_callbacks(execute=False):
            fresh = queue_email("new@example.com")
        with django_capture_on_commit_callbacks(execute=True):
            assert outbox.outbox_sweep() == 1
    assert [m.to for m in mail.outbox] == [["old@example.com"]]
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.status == OutboxEmail.Status.SENT
    assert fresh.status == OutboxEmail.Status.PENDING


@pytest.mark.parametrize("send", [False, True])
def test_the_sweep_command_for_cron_queues_or_sends_what_is_overdue_once(
    django_capture_on_commit_callbacks, settings, send
):
    """Issue 17: a deployment that runs periodic work from cron (no beat) still retries lost e-mails; with
    --send, also without a worker."""
    with django_capture_on_commit_callbacks(execute=False):
        old = queue_email("old@example.com")
    later = timezone.now() + settings.MYHEZO_OUTBOX_RETRY_AFTER + timedelta(seconds=1)
    with time_machine.travel(later), django_capture_on_commit_callbacks(execute=True):
        output = StringIO()
        call_command("outbox_sweep", send=send, stdout=output)
        call_command("outbox_sweep", send=send, stdout=StringIO())
    assert [m.to for m in mail.outbox] == [["old@example.com"]]
    old.refresh_from_db()
    assert old.status == OutboxEmail.Status.SENT
    assert ("sent: 1" if send else "queued again: 1") in output.getvalue()


def test_rendered_subject_is_one_line_even_when_a_name_holds_line_breaks():
    rendered = email_render(
        template="core/emails/contact_message",
        context={"contact": _contact(name="Jan\r\nBcc: victim@example.com")},
        language="en",
    )
    assert "\n" not in rendered.subject and "\r" not in rendered.subject
    assert rendered.subject.startswith("Contact form: message from Jan")


def test_plain_text_part_is_not_html_escaped_but_html_part_is():
    rendered = email_render(
        template="core/emails/contact_message",
        context={"contact": _contact(message="R&D <script>alert(1)</script>")},
        language="en",
    )
    assert "R&D <script>alert(1)</script>" in rendered.text
    assert "<script>" not in rendered.html
    assert "R&amp;D &lt;script&gt;" in rendered.html


def queue_email(to: str):
    return outbox.email_queue(
        to=[to], template="core/emails/contact_message", context={"contact": _contact()}, language="pl"
    )


def _contact(**overrides):
    data = {"name": "Jan Kowalski", "email": "jan@example.com", "message": "Dzień dobry", "language": "pl"}
    data.update(overrides)
    return ContactMessage(**data)


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("connection lost")
