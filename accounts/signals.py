"""Authentication events from Django's and django-otp's signals, and the end of a deactivated user's sessions."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.text import email_canonical

from .clients import client_info
from .models import AuthEvent, User, email_normalize
from .otp_hashed.models import BackupCodeDevice
from .sessions import session_start, session_track
from .throttle import otp_failure_count_capped, password_failure_count


def _device_kind(device) -> str:
    if device is None:
        return ""
    if isinstance(device, BackupCodeDevice):
        return "backup code"
    return "authenticator app"


@receiver(user_logged_in, dispatch_uid="accounts.login")
def login_recorded(sender, request, user, **kwargs):
    from .services import auth_event_record

    if request is not None and hasattr(request, "session"):
        session_start(request)
        session_track(request, user)
    auth_event_record(
        kind=AuthEvent.Kind.LOGIN_SUCCEEDED,
        client=client_info(request),
        user=user,
        detail=_device_kind(getattr(user, "otp_device", None)),
    )


@receiver(user_login_failed, dispatch_uid="accounts.login_failed")
def login_failure_recorded(sender, credentials, request=None, **kwargs):
    """Every wrong password at the login counts towards the throttle and is logged (the other password forms
    do both in accounts.throttle.password_check)."""
    from .services import auth_event_record

    email = email_normalize(str(credentials.get("username") or credentials.get("email") or ""))
    if request is not None:
        password_failure_count(request, email)
    user = User.objects.filter(email_canonical=email_canonical(email)).first() if email else None
    auth_event_record(kind=AuthEvent.Kind.LOGIN_FAILED, client=client_info(request), user=user, email=email)


@receiver(user_logged_out, dispatch_uid="accounts.logout")
def logout_recorded(sender, request, user, **kwargs):
    from .services import auth_event_record

    if user is None or getattr(request, "myhezo_session_expired", False):
        return
    auth_event_record(kind=AuthEvent.Kind.LOGOUT, client=client_info(request), user=user)


@receiver(pre_save, sender=User, dispatch_uid="accounts.deactivation_noted")
def deactivation_noted(sender, instance, raw=False, **kwargs):
    instance._myhezo_deactivated = bool(
        not raw
        and not instance._state.adding
        and not instance.is_active
        and User.objects.filter(pk=instance.pk, is_active=True).exists()
    )


@receiver(post_save, sender=User, dispatch_uid="accounts.deactivation_ends_sessions")
def deactivation_ends_sessions(sender, instance, raw=False, **kwargs):
    """A deactivated user's sessions end for good: reactivating the account does not revive them (Django
    already refuses an inactive user on every request)."""
    from .services import user_sessions_end

    if getattr(instance, "_myhezo_deactivated", False):
        instance._myhezo_deactivated = False
        user_sessions_end(user=instance, reason="account deactivated")


@receiver(pre_save, sender=TOTPDevice, dispatch_uid="accounts.otp_throttle_capped_totp")
@receiver(pre_save, sender=BackupCodeDevice, dispatch_uid="accounts.otp_throttle_capped_backup")
def otp_throttle_capped(sender, instance, raw=False, **kwargs):
    """django-otp's back-off on wrong codes stops growing at MYHEZO_OTP_THROTTLE_MAX (accounts/throttle.py)."""
    if not raw:
        otp_failure_count_capped(instance)
