"""Onboarding as one guided path (SPEC §3): account → e-mail confirmed → authenticator app → backup codes (shown
once) → contract verification → dashboard. `onboarding_step` says which step a user is on; a page of the path
reached out of order sends the user to `onboarding_step_url` instead of leaving them on a dead end."""

from enum import IntEnum

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from two_factor.utils import default_device

# The backup codes issued with the authenticator app, between the setup's last POST and the one page that shows
# them (then they are gone from the session too).
BACKUP_CODES_PENDING = "accounts-backup-codes-pending"
# The secret of the authenticator app being set up in this session: the same on every reload of the setup page.
AUTHENTICATOR_KEY_PENDING = "accounts-authenticator-key-pending"


class Step(IntEnum):
    ACCOUNT = 1
    EMAIL = 2
    AUTHENTICATOR = 3
    BACKUP_CODES = 4
    VERIFICATION = 5
    DASHBOARD = 6


STEP_NAMES = {
    Step.ACCOUNT: _("Account"),
    Step.EMAIL: _("E-mail confirmed"),
    Step.AUTHENTICATOR: _("Authenticator app"),
    Step.BACKUP_CODES: _("Backup codes"),
    Step.VERIFICATION: _("Contract verification"),
}


def onboarding_step(request) -> Step:
    """The step the user of this request is on. A logged-in user has confirmed the e-mail address (activation
    logs in); staff and verified company users are done."""
    user = request.user
    if not user.is_authenticated:
        return Step.ACCOUNT
    if default_device(user) is None:
        return Step.AUTHENTICATOR
    if request.session.get(BACKUP_CODES_PENDING):
        return Step.BACKUP_CODES
    if user.is_staff or user.company_id is not None:
        return Step.DASHBOARD
    return Step.VERIFICATION


def onboarding_step_url(request) -> str:
    return {
        Step.ACCOUNT: reverse("accounts:register"),
        Step.EMAIL: reverse("accounts:register_done"),
        Step.AUTHENTICATOR: reverse("two_factor:setup"),
        Step.BACKUP_CODES: reverse("two_factor:setup_complete"),
        Step.VERIFICATION: reverse("accounts:verify"),
        Step.DASHBOARD: reverse("portal:dashboard"),
    }[onboarding_step(request)]


def onboarding_steps(current: Step) -> list[dict]:
    """The step indicator: each step's number, name and whether it is done, current or to come."""
    return [
        {
            "number": int(step),
            "name": name,
            "state": "done" if step < current else "current" if step == current else "todo",
        }
        for step, name in STEP_NAMES.items()
    ]
