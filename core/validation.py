"""Model validation for services."""

from django.db import models
from django.db.models.constants import LOOKUP_SEP


def full_clean_held(instance: models.Model, *, validate_unique: bool = True) -> None:
    """`instance.full_clean()`, without the query that asks whether a foreign key's object exists when the
    caller holds that object, loaded from or saved to the database (`ticket=ticket`, not `ticket_id=5`).
    Its existence is known, and the database's foreign key constraint keeps it so until the commit.

    Every other check is made: the fields' own, `clean()`, the unique checks and the constraints. A relation that
    takes part in a unique check or a constraint, or has `limit_choices_to`, is validated in full, because
    `full_clean(exclude=…)` would leave it out of those checks too."""
    in_checks = _fields_in_checks(instance._meta)
    held = set()
    for field in instance._meta.concrete_fields:
        if not field.many_to_one or field.unique or field.name in in_checks or field.get_limit_choices_to():
            continue
        if not field.is_cached(instance):
            continue
        related = field.get_cached_value(instance)
        if related is not None and not related._state.adding and related.pk == getattr(instance, field.attname):
            held.add(field.name)
    instance.full_clean(exclude=held, validate_unique=validate_unique)


def _fields_in_checks(meta) -> set[str]:
    """The names of the fields that a unique check or a constraint of the model reads; every field where that is
    not known (a constraint over expressions)."""
    names = {name for fields in meta.unique_together for name in fields}
    for constraint in meta.constraints:
        names.update(getattr(constraint, "fields", ()) or ())
        condition = getattr(constraint, "condition", None)
        if getattr(constraint, "expressions", None) or (condition is not None and not isinstance(condition, models.Q)):
            return {field.name for field in meta.concrete_fields}
        if condition is not None:
            names.update(_q_fields(condition))
    return names


def _q_fields(q: models.Q) -> set[str]:
    names = set()
    for child in q.children:
        if isinstance(child, models.Q):
            names |= _q_fields(child)
            continue
        lookup, value = child
        names.add(lookup.split(LOOKUP_SEP)[0])
        for expression in value.flatten() if hasattr(value, "flatten") else ():
            if isinstance(expression, models.F):
                names.add(expression.name.split(LOOKUP_SEP)[0])
    return names
