from django.db import transaction

from .models import User


@transaction.atomic
def user_language_set(*, user: User, language: str) -> User:
    user.language = language
    user.full_clean(exclude=["password"])
    user.save(update_fields=["language"])
    return user
