"""Logged-in, second-factor-verified sessions for benchmarks (never for a real portal)."""

from django.contrib.auth import get_user_model
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice


def otp_session_user(email: str, *, staff: bool = False):
    User = get_user_model()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=None, is_staff=staff, is_superuser=staff)
    device = TOTPDevice.objects.filter(user=user).first() or TOTPDevice.objects.create(
        user=user, name="default", confirmed=True
    )
    return user, device


def otp_client(email: str, *, staff: bool = False) -> Client:
    user, device = otp_session_user(email, staff=staff)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def session_cookie(email: str, *, staff: bool = False) -> str:
    """The value of the session cookie of a verified session, for a load tool's Cookie header."""
    return otp_client(email, staff=staff).cookies["sessionid"].value


def bench_ticket(email: str = "bench-0@example.com", messages: int = 50):
    """The benchmark's ticket page: the user's newest ticket, given `messages` messages if it has fewer."""
    from tickets.models import Message, Ticket

    ticket = Ticket.objects.filter(reporter__email=email).order_by("-pk").first()
    missing = messages - ticket.messages.count()
    if missing > 0:
        Message.objects.bulk_create(
            [Message(ticket=ticket, author_name="Inżynier HEZO", by_engineer=True, body="Odpowiedź " * 40)] * missing
        )
    return ticket
