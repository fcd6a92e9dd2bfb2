"""Password-attempt throttling that cannot be used to lock a person out for good (README "Throttling").

Failed password attempts are counted three ways, in fixed windows of the shared cache that expire on their own,
so every lock cools off. The login counts them, and so does every other form that asks for the password
(re-authentication, e-mail change, password change, account deletion): they all go through
`password_check`, so a stolen session cannot test passwords there either.

- per login and client IP (`MYHEZO_LOGIN_RATE_PER_ACCOUNT_AND_IP`, 10 per 15 minutes): the lock a guesser
  from one place runs into;
- per client IP (`MYHEZO_LOGIN_RATE_PER_IP`, 60 per hour): one place trying many logins;
- per login alone (`MYHEZO_LOGIN_RATE_PER_ACCOUNT`, 50 per hour), against guessing from many places. A
  browser in which this login has completed a whole login (password and second factor) before carries a
  signed "known device" cookie and is exempt from this count, so an attacker who keeps failing on purpose
  cannot lock the real user out of their own browser.

Only failures count; the checks read the counts without adding to them. When the cache cannot be reached
the attempt is allowed and a warning logged: login keeps working while Redis is down.
"""

import enum
import logging

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.core.cache import caches
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy
from django_ratelimit.core import get_usage

from core.text import email_canonical

from .clients import throttle_ip

logger = logging.getLogger(__name__)

# What the login page and every other password form say while the throttle refuses.
PASSWORD_THROTTLED_MESSAGE = gettext_lazy(
    "Too many login attempts. Wait a few minutes and try again, or contact the helpdesk."
)

KNOWN_DEVICE_COOKIE = "myhezo_known"
KNOWN_DEVICE_SALT = "accounts.known_device"
KNOWN_DEVICE_MAX_LOGINS = 5  # people who share a browser


def _limits(request, email: str, *, known_device: bool) -> list[tuple[str, str, str, str]]:
    """(name, group, key, rate) of every count that applies to a password attempt for `email`."""
    ip = throttle_ip(request)
    limits = [
        ("account_ip", "login-account-ip", f"{email}|{ip}", settings.MYHEZO_LOGIN_RATE_PER_ACCOUNT_AND_IP),
        ("ip", "login-ip", ip, settings.MYHEZO_LOGIN_RATE_PER_IP),
    ]
    if not known_device:
        limits.append(("account", "login-account", email, settings.MYHEZO_LOGIN_RATE_PER_ACCOUNT))
    return limits


def _usage(request, group: str, key: str, rate: str, *, increment: bool) -> dict | None:
    try:
        return get_usage(request, group=group, key=lambda _g, _r: key, rate=rate, increment=increment)
    except Exception:  # the cache is down: do not turn that into a login outage
        logger.warning("Login throttle: the cache is not answering; attempt allowed", exc_info=True)
        return None


def password_attempt_refusal(request, email: str) -> tuple[str, int] | None:
    """The limit that refuses a password attempt for this login from this client now, with the seconds until
    its window ends; None when the attempt may go ahead. Counts nothing."""
    email = email_canonical(email)
    for name, group, key, rate in _limits(request, email, known_device=is_known_device(request, email)):
        usage = _usage(request, group, key, rate, increment=False)
        if usage is not None and usage["limit"] and usage["count"] >= usage["limit"]:
            return name, max(usage["time_left"], 0)
    return None


def password_failure_count(request, email: str) -> None:
    """Count one failed password attempt for this login from this client."""
    email = email_canonical(email)
    for _name, group, key, rate in _limits(request, email, known_device=is_known_device(request, email)):
        _usage(request, group, key, rate, increment=True)


def lockout_first_in_window(request, email: str, name: str, seconds_left: int) -> bool:
    """True once per lock (login, client, limit and window), so a lockout is logged once, not per try."""
    key = (
        "lockout-logged:"
        + salted_hmac("accounts.lockout", f"{email_canonical(email)}|{throttle_ip(request)}|{name}").hexdigest()
    )
    try:
        return caches[settings.RATELIMIT_USE_CACHE].add(key, 1, timeout=max(seconds_left, 1) + 5)
    except Exception:
        return True


# --- Known devices -----------------------------------------------------------------------------------


def _login_tag(email: str) -> str:
    # The cookie names no address: a keyed hash of it.
    return salted_hmac(KNOWN_DEVICE_SALT, email_canonical(email)).hexdigest()[:20]


def _known_tags(request) -> list[str]:
    max_age = settings.MYHEZO_KNOWN_DEVICE_DAYS * 24 * 3600
    value = request.get_signed_cookie(KNOWN_DEVICE_COOKIE, default="", salt=KNOWN_DEVICE_SALT, max_age=max_age)
    return [tag for tag in value.split(",") if tag]


def is_known_device(request, email: str) -> bool:
    return _login_tag(email) in _known_tags(request)


def known_device_remember(request, response, email: str) -> None:
    """Mark this browser as one where `email` has completed a whole login (called after the second factor)."""
    tag = _login_tag(email)
    tags = [tag] + [t for t in _known_tags(request) if t != tag]
    response.set_signed_cookie(
        KNOWN_DEVICE_COOKIE,
        ",".join(tags[:KNOWN_DEVICE_MAX_LOGINS]),
        salt=KNOWN_DEVICE_SALT,
        max_age=settings.MYHEZO_KNOWN_DEVICE_DAYS * 24 * 3600,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def lockout_record(request, *, email: str, name: str, seconds_left: int, user=None) -> None:
    """Log a lockout (AuthEvent "locked_out") once per lock, however many refused tries it sees."""
    from .clients import client_info
    from .models import AuthEvent, User, email_normalize
    from .services import auth_event_record

    if not lockout_first_in_window(request, email, name, seconds_left):
        return
    if user is None and email:
        user = User.objects.filter(email_canonical=email_canonical(email)).first()
    auth_event_record(
        kind=AuthEvent.Kind.LOCKED_OUT,
        client=client_info(request),
        user=user,
        email=email_normalize(email),
        detail=name,
    )


def password_attempt_refused(request, email: str) -> bool:
    """Whether a password attempt for `email` must be refused now (then the lockout is logged)."""
    refusal = password_attempt_refusal(request, email)
    if refusal is None:
        return False
    name, seconds_left = refusal
    lockout_record(request, email=email, name=f"password: {name}", seconds_left=seconds_left)
    return True


class PasswordCheck(enum.Enum):
    RIGHT = "right"
    WRONG = "wrong"
    THROTTLED = "throttled"


def password_check(request, *, user, password: str, purpose: str) -> PasswordCheck:
    """Check a logged-in user's password, counting it as a login attempt: the one check behind every form that
    asks for the current password. While the login throttle refuses this login from this client, the password
    is not checked at all (THROTTLED, the lockout logged once); a wrong one counts towards the same limits as
    a failed login and is logged as one ("login failed", `purpose` as the detail). A right one that Django
    re-hashes (a newer hasher) keeps the session that typed it."""
    from .clients import client_info
    from .models import AuthEvent
    from .services import auth_event_record

    if password_attempt_refused(request, user.email):
        return PasswordCheck.THROTTLED
    stored = user.password
    if user.check_password(password):
        if user.password != stored and getattr(request, "user", None) is not None and request.user.pk == user.pk:
            # Django re-hashed it with the current hasher: the session hash follows, so keep this session.
            update_session_auth_hash(request, user)
        return PasswordCheck.RIGHT
    password_failure_count(request, user.email)
    auth_event_record(kind=AuthEvent.Kind.LOGIN_FAILED, client=client_info(request), user=user, detail=purpose)
    return PasswordCheck.WRONG


# --- Second-factor codes ------------------------------------------------------------------------------------
# django-otp slows down wrong codes per device (ThrottlingMixin.verify_is_allowed): after n successive failures
# the next try waits factor · 2^(n-1) seconds (OTP_TOTP_THROTTLE_FACTOR, OTP_STATIC_THROTTLE_FACTOR), which
# grows without a practical limit (20 wrong codes: six days), so someone who knows the password could lock the
# authenticator for days. The portal caps the *count* instead of overriding django-otp's method: a device's
# failure count is never stored above the largest n whose wait fits in MYHEZO_OTP_THROTTLE_MAX (15 minutes;
# with factor 1 that is n = 10, a wait of 512 s). accounts/signals.py applies it before every save of a
# device; accounts/tests/test_otp_throttle.py fails if django-otp's formula changes and the cap stops holding.


def otp_failure_count_max(factor: float) -> int:
    """The largest failure count whose django-otp wait, factor · 2^(n-1) seconds, is within the cap (at least 1)."""
    cap = settings.MYHEZO_OTP_THROTTLE_MAX.total_seconds()
    count = 1
    while factor * 2**count <= cap:  # the wait after count + 1 failures
        count += 1
    return count


def otp_failure_count_capped(device) -> None:
    """Keep a throttled device's failure count at the cap (called before the device is saved)."""
    factor = device.get_throttle_factor()
    if factor > 0:
        device.throttling_failure_count = min(device.throttling_failure_count, otp_failure_count_max(factor))
