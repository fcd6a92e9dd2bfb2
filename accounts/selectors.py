"""Reads about the user's own account."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from .clients import browser_label
from .models import User, UserSession
from .otp_hashed.models import BackupCode
from .sessions import SEEN_RESOLUTION


@dataclass(frozen=True)
class SessionRow:
    pk: int
    browser: str  # "" when the User-Agent names nothing known
    ip: str | None
    created_at: datetime
    last_seen_at: datetime
    current: bool


def user_sessions_active(user: User, *, current_session_key: str | None) -> list[SessionRow]:
    """The user's live sessions, this one first, then the most recently used (one query). A session idle past
    the timeout or past its absolute lifetime is over even before its row is cleaned up, so it is not listed."""
    now = timezone.now()
    idle = settings.MYHEZO_SESSION_IDLE_TIMEOUT + timedelta(seconds=SEEN_RESOLUTION)
    rows = UserSession.objects.filter(
        user=user,
        last_seen_at__gte=now - idle,
        created_at__gte=now - settings.MYHEZO_SESSION_ABSOLUTE_TIMEOUT,
    ).order_by("-last_seen_at", "-pk")
    sessions = [
        SessionRow(
            pk=row.pk,
            browser=browser_label(row.user_agent),
            ip=row.ip,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            current=row.session_id == current_session_key,
        )
        for row in rows.only("pk", "session_id", "user_agent", "ip", "created_at", "last_seen_at")
    ]
    return sorted(sessions, key=lambda row: not row.current)


def backup_codes_remaining(user: User) -> int:
    """How many unused backup codes the user has."""
    if not user.is_authenticated:
        return 0
    return BackupCode.objects.filter(device__user=user, device__confirmed=True).count()
