"""Reads about the user's own account."""

from .models import User
from .otp_hashed.models import BackupCode


def backup_codes_remaining(user: User) -> int:
    """How many unused backup codes the user has."""
    if not user.is_authenticated:
        return 0
    return BackupCode.objects.filter(device__user=user, device__confirmed=True).count()
