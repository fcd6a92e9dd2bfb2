"""Single-use, expiring links for account activation and e-mail changes."""

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

from .models import EmailChange, User

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


def email_change_nonce_hash(nonce: str) -> str:
    return salted_hmac(EMAIL_CHANGE_SALT, nonce).hexdigest()


def email_change_token_make(user: User, nonce: str) -> str:
    """The signed token of an e-mail change link: the user and the nonce of their pending change
    (accounts.models.EmailChange, made by accounts.services.email_change_link_make)."""
    return signing.dumps({"u": user.pk, "n": nonce}, salt=EMAIL_CHANGE_SALT, compress=True)


def email_change_token_read(token: str) -> EmailChange | None:
    """The pending change the link confirms, or None when the token is forged or expired, or the change it
    was made for is gone: confirmed already, replaced by a newer request, or the address changed otherwise."""
    try:
        data = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=settings.MYHEZO_ACTIVATION_TIMEOUT.total_seconds())
    except signing.BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("n"), str):
        return None
    change = EmailChange.objects.select_related("user").filter(user_id=data.get("u"), user__is_active=True).first()
    if change is None or change.user.email != change.old_email:
        return None
    if not constant_time_compare(change.nonce_hash, email_change_nonce_hash(data["n"])):
        return None
    return change
