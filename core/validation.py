"""Model validation for services."""

from django.db import models


def full_clean_held(instance: models.Model, *, validate_unique: bool = True) -> None:
    """`instance.full_clean()`, without the query that asks whether a foreign key's object exists when the
    caller holds that object, loaded from or saved to the database (`ticket=ticket`, not `ticket_id=5`).
    Its existence is known, and the database's foreign key constraint keeps it so until the commit.

    Every other check is made: the fields' own, `clean()`, the unique checks and the constraints. A relation that
    takes part in a unique check or a constraint, or has `limit_choices_to`, is validated in full, because
    `full_clean(exclude=…)` would leave it out of those checks too."""
    meta = instance._meta
    in_checks: set[str] = set()
    for fields in meta.unique_together:
        in_checks.update(fields)
    for constraint in meta.constraints:
        in_checks.update(getattr(constraint, "fields", ()) or ())
        if getattr(constraint, "expressions", None) or getattr(constraint, "condition", None) is not None:
            in_checks.update(field.name for field in meta.concrete_fields)  # which fields it reads is not known
    held = set()
    for field in meta.concrete_fields:
        if not field.many_to_one or field.unique or field.name in in_checks or field.get_limit_choices_to():
            continue
        if not field.is_cached(instance):
            continue
        related = field.get_cached_value(instance)
        if related is not None and not related._state.adding and related.pk == getattr(instance, field.attname):
            held.add(field.name)
    instance.full_clean(exclude=held, validate_unique=validate_unique)
