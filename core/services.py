"""The contact form's one write (SPEC §10)."""

from django.conf import settings
from django.db import transaction

from .models import ContactMessage
from .outbox import email_queue
from .text import text_one_line


@transaction.atomic
def contact_message_submit(
    *, name: str, email: str, message: str, language: str, phone: str = "", company_name: str = ""
) -> ContactMessage:
    """Keep a contact-form message and e-mail it to the helpdesk mailbox."""
    contact = ContactMessage(
        name=text_one_line(name),
        email=email.strip(),
        phone=phone.strip(),
        company_name=text_one_line(company_name),
        message=message.strip(),
        language=language,
    )
    contact.full_clean()
    contact.email_to_helpdesk = email_queue(
        to=[settings.MYHEZO_HELPDESK_EMAIL],
        reply_to=[contact.email],
        template="core/emails/contact_message",
        context={"contact": contact},
        language=settings.MYHEZO_HELPDESK_LANGUAGE,
    )
    contact.save()
    return contact
