from contextvars import ContextVar
from functools import cache

from django.apps import apps
from django.contrib.auth.backends import ModelBackend
from django.db import connection
from django_otp.models import Device

from .models import User

# The second-factor device a session passed with, as (device model, id), set by the OTP middleware
# (accounts/middleware.py) while Django reads the session's user: the user's SELECT then also says whether
# that device still counts, and a page costs one round trip for both instead of two.
session_device: ContextVar[tuple[type[Device], int] | None] = ContextVar("session_device", default=None)


def device_from_persistent_id(persistent_id: str) -> tuple[type[Device], int] | None:
    """The device model and id a session's `otp_device_id` names, or None if it names none (no query)."""
    if persistent_id.count(".") > 1:  # django-otp's legacy form: full import paths
        parts = persistent_id.split(".")
        persistent_id = ".".join((parts[-3], parts[-1]))
    try:
        model_label, device_id = persistent_id.rsplit("/", 1)
        model = apps.get_model(model_label)
        device_id = int(device_id)
    except (ValueError, LookupError):
        return None
    return (model, device_id) if issubclass(model, Device) else None


@cache
def device_condition(model: type[Device]) -> str:
    """SQL that is true when the device with id %s (a parameter) exists, is confirmed and belongs to the user
    whose id is %s: django-otp's rule for a verified session. Only quoted names go into the text."""
    meta, quote = model._meta, connection.ops.quote_name
    table, pk, owner = quote(meta.db_table), quote(meta.pk.column), quote(meta.get_field("user").column)
    confirmed = quote(meta.get_field("confirmed").column)
    return f"EXISTS (SELECT 1 FROM {table} WHERE {pk} = %s AND {owner} = %s AND {confirmed})"  # noqa: S608


@cache
def _query(device_model: type[Device] | None) -> tuple[str, list[str], list[tuple]]:
    """The SELECT (with the device check as a last column when a device model is given), the attribute
    names and, per column, the converters Django's compiler would apply."""
    fields, quote = User._meta.concrete_fields, connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    if device_model is not None:
        columns += ", " + device_condition(device_model)
    sql = f"SELECT {columns} FROM {quote(User._meta.db_table)} WHERE {quote(User._meta.pk.column)} = %s"  # noqa: S608
    converters = []
    for field in fields:
        column = field.get_col(User._meta.db_table)
        converters.append((column, connection.ops.get_db_converters(column) + column.get_db_converters(connection)))
    return sql, [field.attname for field in fields], converters


def user_by_pk(pk: int, *, device: tuple[type[Device], int] | None = None) -> User | None:
    """The user row as a model object, read with one fixed SELECT: no queryset is built on each request of a
    logged-in user (issue 8). Values go through the same converters as an ORM query's. With `device`, the
    same statement checks it (`device_condition`); the answer is kept as `user.session_device_checked`."""
    sql, attnames, converters = _query(device[0] if device else None)
    params = [device[1], pk, pk] if device else [pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    values = []
    for value, (column, functions) in zip(row, converters, strict=False):
        for function in functions:
            value = function(value, column, connection)
        values.append(value)
    user = User.from_db(connection.alias, attnames, values)
    if device:
        user.session_device_checked = (device, bool(row[-1]))
    return user


class UserBackend(ModelBackend):
    """Django's ModelBackend (e-mail and password, permissions), with the session's user read by `user_by_pk`.
    The rule is Django's: an inactive user has no session."""

    def get_user(self, user_id):
        user = user_by_pk(user_id, device=session_device.get())
        return user if user is not None and self.user_can_authenticate(user) else None
