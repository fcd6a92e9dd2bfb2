"""Session rules (README "Sessions and second factor").

- Login starts a new session key (Django's `login()` cycles it) and stamps the session with the login time.
- Idle timeout (`MYHEZO_SESSION_IDLE_MINUTES`, 30) and absolute lifetime (`MYHEZO_SESSION_ABSOLUTE_HOURS`, 12,
  also the cookie's age): `SessionTimeoutMiddleware` logs out a session past either, records `session_expired`
  and says why on the login page. Activity is noted at most once a minute, so a busy page does not write the
  session on every request.
- Every session of a user ends when `User.session_generation` is raised (part of the session hash Django checks
  on each request): on deactivation, on a second-factor change, and by "End all sessions" in admin. The session
  that made a second-factor change is kept, under a new key (`session_keep`).
- Re-authentication: changes of the second factor need the password within `MYHEZO_REAUTH_MINUTES` (10);
  logging in with the password counts.
- "Your sessions" (ASVS V7.5.2): each logged-in session has a UserSession row (accounts/models.py) hanging on
  Django's session row. It is written at login (`session_track` from the login signal) and, after every
  request of a logged-in user, again when the session got a new key (re-authentication, a second-factor or
  password change: the old key's row went with the old session) or, at most once a minute, with the time,
  address and browser it was last used from. Ending a session deletes Django's session row and cache entry.
"""

import hashlib
import time
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import ngettext

LOGIN_AT = "myhezo_login_at"
SEEN_AT = "myhezo_seen_at"
REAUTH_AT = "myhezo_reauth_at"
TRACKED = "myhezo_tracked"  # a digest of the session key the UserSession row was written for
TRACKED_AT = "myhezo_tracked_at"
SEEN_RESOLUTION = 60  # seconds: how stale the last-activity stamp may get before it is written again


def session_start(request) -> None:
    """Called on every login."""
    now = time.time()
    request.session[LOGIN_AT] = now
    request.session[SEEN_AT] = now


def _key_digest(session_key: str) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest()[:32]


def session_track(request, user) -> None:
    """Keep the session's UserSession row in step: written for a new key, its last use noted once a minute."""
    from .clients import client_info
    from .services import user_session_record, user_session_seen

    session = getattr(request, "session", None)
    if session is None:
        return
    if not session.session_key:
        session.save()  # a session flushed at this login has no key until saved; the row needs one
    key, now = session.session_key, time.time()
    if session.get(TRACKED) != _key_digest(key):
        started = datetime.fromtimestamp(session.get(LOGIN_AT, now), tz=UTC)
        user_session_record(user=user, session_key=key, client=client_info(request), started_at=started)
        session[TRACKED], session[TRACKED_AT] = _key_digest(key), now
    elif now - session.get(TRACKED_AT, 0) >= SEEN_RESOLUTION:
        user_session_seen(session_key=key, client=client_info(request))
        session[TRACKED_AT] = now


def reauth_stamp(request, at: float | None = None) -> None:
    request.session[REAUTH_AT] = at if at is not None else time.time()


def reauth_is_recent(request) -> bool:
    at = request.session.get(REAUTH_AT)
    return at is not None and time.time() - at <= settings.MYHEZO_REAUTH_TIMEOUT.total_seconds()


def reauth_redirect(request):
    return redirect(reverse("accounts:reauthenticate") + "?" + urlencode({"next": request.get_full_path()}))


def session_keep(request, user) -> None:
    """After the user's session generation was raised by this request: keep this session (under a new key)."""
    update_session_auth_hash(request, user)


def session_expiry_reason(request) -> str | None:
    """ "idle" or "absolute" when the logged-in session is past a timeout; notes activity otherwise."""
    session = request.session
    now = time.time()
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    if login_at is None:  # a session from before these rules: count from now
        session_start(request)
        return None
    if now - login_at > settings.MYHEZO_SESSION_ABSOLUTE_TIMEOUT.total_seconds():
        return "absolute"
    if seen_at is not None and now - seen_at > settings.MYHEZO_SESSION_IDLE_TIMEOUT.total_seconds():
        return "idle"
    if seen_at is None or now - seen_at >= SEEN_RESOLUTION:
        session[SEEN_AT] = now
    return None


class SessionTimeoutMiddleware:
    """After authentication and messages: ends a session past its idle or absolute timeout; after the view, keeps
    the session's "Your sessions" row in step (`session_track`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            reason = session_expiry_reason(request)
            if reason is not None:
                self._expire(request, user, reason)
        response = self.get_response(request)
        user = getattr(request, "user", None)  # the view may have logged someone in or out
        if user is not None and user.is_authenticated and response.status_code < 500:
            session_track(request, user)
        return response

    def _expire(self, request, user, reason: str) -> None:
        from .clients import client_info
        from .models import AuthEvent
        from .services import auth_event_record

        auth_event_record(kind=AuthEvent.Kind.SESSION_EXPIRED, client=client_info(request), user=user, detail=reason)
        request.myhezo_session_expired = True  # the logout signal records this as expiry, not as a logout
        logout(request)
        if reason == "idle":
            minutes = int(settings.MYHEZO_SESSION_IDLE_TIMEOUT.total_seconds() // 60)
            text = ngettext(
                "You were logged out after %(minutes)d minute without activity. Log in again.",
                "You were logged out after %(minutes)d minutes without activity. Log in again.",
                minutes,
            ) % {"minutes": minutes}
        else:
            hours = int(settings.MYHEZO_SESSION_ABSOLUTE_TIMEOUT.total_seconds() // 3600)
            text = ngettext(
                "You were logged out %(hours)d hour after logging in. Log in again.",
                "You were logged out %(hours)d hours after logging in. Log in again.",
                hours,
            ) % {"hours": hours}
        messages.info(request, text)


def reauth_done(request) -> None:
    """The password was confirmed again: a new session key (ASVS V7.2.4), the time noted, the event logged."""
    from .clients import client_info
    from .models import AuthEvent
    from .services import auth_event_record

    request.session.cycle_key()
    reauth_stamp(request)
    auth_event_record(kind=AuthEvent.Kind.REAUTHENTICATED, client=client_info(request), user=request.user)
