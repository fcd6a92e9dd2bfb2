"""Personal data on tickets (GDPR): the partners' read log, and what stays of a person who deleted their
account. The company's tickets stay; the person's name and address leave them."""

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User

from ..models import EventAction, Message, PartnerReadLog, Ticket, TicketCc, TicketEvent


def partner_read_record(*, ticket_id: int, user: User) -> None:
    """Note that a partner user read a ticket shared with their company: its page or one of its files.
    Customers and engineers are not logged, and nor is a read the partner rule (`TicketQuerySet.shared_with`)
    does not allow. One statement: insert the reader's row or bump its last time and count, so the log costs
    one query per view and one row per ticket and reader however often they read."""
    if not user.is_authenticated or not user.is_verified_partner:
        return
    table = connection.ops.quote_name(PartnerReadLog._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    shared = Ticket.objects.shared_with(user.company_id).filter(pk=ticket_id).order_by().values("pk")
    shared_sql, shared_params = shared.query.sql_with_params()
    # PostgreSQL and SQLite (the embedded default) both have this upsert.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (ticket_id, user_id, first_read_at, last_read_at, read_count) "
            f"SELECT %s, %s, %s, %s, 1 WHERE EXISTS ({shared_sql}) "
            "ON CONFLICT (ticket_id, user_id) DO UPDATE "
            f"SET last_read_at = EXCLUDED.last_read_at, read_count = {table}.read_count + 1",
            [ticket_id, user.pk, now, now, *shared_params],
        )


@transaction.atomic
def tickets_person_anonymise(*, user: User, email: str, former_name: str, name: str, placeholder_email: str) -> None:
    """Take a person out of the tickets while the tickets stay with their company: `email` and `former_name`
    are the person's address and shown name before anonymisation, `name` and `placeholder_email` what
    replaces them.

    - tickets they reported (or that carry their address as the reporter's): the reporter's name and address;
    - messages they wrote and history rows of their changes: the author's name;
    - an engineer's name as the assignee in the history;
    - their address as a CC of any ticket: removed (it would keep getting e-mails), and in the history of
      CC changes replaced by the placeholder.
    """
    email = email.strip().lower()
    Ticket.objects.filter(Q(reporter=user) | Q(reporter_email__iexact=email)).update(
        reporter_name=name, reporter_email=placeholder_email
    )
    Message.objects.filter(author=user).update(author_name=name)
    TicketEvent.objects.filter(actor=user).update(actor_name=name)
    if former_name:
        assignee = TicketEvent.objects.filter(action=EventAction.ASSIGNEE)
        assignee.filter(old_value=former_name).update(old_value=name)
        assignee.filter(new_value=former_name).update(new_value=name)
    TicketCc.objects.filter(email__iexact=email).delete()
    cc_actions = [EventAction.CC_ADDED, EventAction.CC_REMOVED]
    TicketEvent.objects.filter(action__in=cc_actions, new_value__iexact=email).update(new_value=placeholder_email)
    TicketEvent.objects.filter(action__in=cc_actions, old_value__iexact=email).update(old_value=placeholder_email)
