"""Walking the login wizard and the re-authentication page as a browser does."""

from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.tests.factories import DEFAULT_PASSWORD

LOGIN = "/accounts/login/"


def totp_code(device: TOTPDevice, *, drift: int = 0) -> str:
    return f"{totp(device.bin_key, step=30, t0=0, digits=6, drift=drift):06d}"


def password_step(client, email: str, password: str = DEFAULT_PASSWORD, **headers):
    return client.post(
        LOGIN,
        {"login_view-current_step": "auth", "auth-username": email, "auth-password": password},
        headers=headers or None,
    )


def token_step(client, code: str, **headers):
    return client.post(LOGIN, {"login_view-current_step": "token", "token-otp_token": code}, headers=headers or None)


def backup_step(client, code: str):
    client.post(LOGIN, {"wizard_goto_step": "backup"})
    return client.post(LOGIN, {"login_view-current_step": "backup", "backup-otp_token": code})


def full_login(client, user, *, password: str = DEFAULT_PASSWORD, drift: int = 0, **headers):
    """Password then the authenticator code (the user's app is created if missing). Returns the last response."""
    device = TOTPDevice.objects.filter(user=user, name="default").first() or TOTPDevice.objects.create(
        user=user, name="default", confirmed=True
    )
    response = password_step(client, user.email, password, **headers)
    assert response.status_code == 200, response.status_code
    return token_step(client, totp_code(device, drift=drift), **headers)


def reauthenticate(client, password: str = DEFAULT_PASSWORD):
    return client.post("/accounts/reauthenticate/", {"password": password})


def admin_change_data(user, **changes) -> dict:
    """The admin user form as it stands for `user` (its current values), with `changes`."""
    joined = timezone.localtime(user.date_joined)
    data = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone,
        "company_name": user.company_name,
        "nip": user.nip,
        "language": user.language,
        "is_active": "on",
        "is_staff": "on" if user.is_staff else "",
        "company": user.company_id or "",
        "role": user.role,
        "date_joined_0": joined.strftime("%Y-%m-%d"),
        "date_joined_1": joined.strftime("%H:%M:%S"),
        **changes,
    }
    return {k: v for k, v in data.items() if v != ""}
