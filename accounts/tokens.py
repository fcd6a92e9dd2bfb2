"""Single-use, expiring links for account activation."""

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

from .models import User

ACTIVATION_SALT = "accounts.activation"


def _state(user: User) -> str:
    # Activation logs the user in (last_login changes) and activates them: either makes an old link stale.
    return salted_hmac(
        ACTIVATION_SALT, f"{user.pk}:{user.email}:{user.is_active}:{user.last_login}:{user.password}"
    ).hexdigest()[:32]


def activation_token_make(user: User) -> str:
    return signing.dumps({"u": user.pk, "s": _state(user)}, salt=ACTIVATION_SALT, compress=True)


def activation_token_user(token: str) -> User | None:
    """The user the token was made for, or None when it is forged, expired or already used."""
    try:
        data = signing.loads(token, salt=ACTIVATION_SALT, max_age=settings.MYHEZO_ACTIVATION_TIMEOUT.total_seconds())
    except signing.BadSignature:  # includes SignatureExpired
        return None
    user = User.objects.filter(pk=data.get("u")).first()
    if user is None or user.is_active or not constant_time_compare(_state(user), data.get("s", "")):
        return None
    return user


EMAIL_CHANGE_SALT = "accounts.email_change"


def email_change_token_make(user: User, new_email: str) -> str:
    return signing.dumps({"u": user.pk, "old": user.email, "new": new_email}, salt=EMAIL_CHANGE_SALT, compress=True)


def email_change_token_read(token: str) -> tuple[User, str] | None:
    """The user and the new address, or None when the token is forged, expired or already used (the
    account's address is no longer the one it was made for)."""
    try:
        data = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=settings.MYHEZO_ACTIVATION_TIMEOUT.total_seconds())
    except signing.BadSignature:
        return None
    user = User.objects.filter(pk=data.get("u"), email=data.get("old"), is_active=True).first()
    if user is None:
        return None
    return user, data["new"]
