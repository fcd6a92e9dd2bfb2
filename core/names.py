"""People's names as records keep them, shown to a reader.

When an account is deleted (accounts.services.user_delete_anonymise), its name in the records its company keeps
(tickets, messages, history, contact-form messages, the account itself) becomes the fixed marker
`DELETED_PERSON`, stored as it is in every language. `person_name()` is the one place that turns a stored name
into what a reader sees: the marker in the reader's language, any other name as it is. Templates use it as the
filter `{{ name|person }}` (core/templatetags/portal.py); e-mails are rendered in the recipient's language, so
the filter gives theirs.
"""

from django.utils.translation import gettext

# Stored, never shown as is. Kept in English, as accounts deleted before it became a marker stored it.
DELETED_PERSON = "Deleted user"


def person_name(stored: str) -> str:
    """A stored name as the reader sees it: the deleted-account marker translated, anything else unchanged."""
    if stored == DELETED_PERSON:
        return gettext("Deleted user")
    return stored
