"""Walking the login wizard and the re-authentication page as a browser does."""

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
