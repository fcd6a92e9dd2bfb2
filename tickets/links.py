"""The addresses of a ticket: the one home of the ticket URL. The portal page (`ticket_url`, also
`Ticket.get_portal_url`), the engineers' desk page (`ticket_desk_url`, also `Ticket.get_desk_url`), and both as
absolute links for e-mails (`ticket_email_links`)."""

from functools import lru_cache

from django.conf import settings
from django.urls import reverse


@lru_cache(maxsize=4096)
def ticket_url(number: str) -> str:
    """The ticket's page on the portal (`/tickets/<number>/`). The same number always has the same address: a
    list page needs 25 of them."""
    return reverse("tickets:detail", args=[number])


@lru_cache(maxsize=1)
def _desk_list_url() -> str:
    return reverse("admin:tickets_ticket_changelist")


def ticket_desk_url(pk: int) -> str:
    """The ticket's page on the engineers' desk: the admin's change URL, `<changelist>/<pk>/change/`. Reversing
    it for each of the desk list's 100 rows costs more than the list's other cells, so only the list is reversed."""
    return f"{_desk_list_url()}{pk}/change/"


def ticket_email_links(ticket) -> dict[str, str]:
    """`ticket_url` (the portal page, for the customer's side) and `admin_url` (the desk, for engineers) as
    absolute links, under these names in every e-mail's context."""
    base = settings.MYHEZO_BASE_URL
    return {"ticket_url": base + ticket_url(ticket.number), "admin_url": base + ticket_desk_url(ticket.pk)}
