from functools import cache

from django.contrib.auth.backends import ModelBackend
from django.db import connection

from .models import User


@cache
def _query() -> tuple[str, list[str], list[tuple]]:
    """The SELECT, the attribute names and, per column, the converters Django's compiler would apply."""
    fields, quote = User._meta.concrete_fields, connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    sql = f"SELECT {columns} FROM {quote(User._meta.db_table)} WHERE {quote(User._meta.pk.column)} = %s"  # noqa: S608
    converters = []
    for field in fields:
        column = field.get_col(User._meta.db_table)
        converters.append((column, connection.ops.get_db_converters(column) + column.get_db_converters(connection)))
    return sql, [field.attname for field in fields], converters


def user_by_pk(pk: int) -> User | None:
    """The user row as a model object, read with one fixed SELECT: no queryset is built on each request of a
    logged-in user (issue 8). Values go through the same converters as an ORM query's."""
    sql, attnames, converters = _query()
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    values = []
    for value, (column, functions) in zip(row, converters, strict=True):
        for function in functions:
            value = function(value, column, connection)
        values.append(value)
    return User.from_db(connection.alias, attnames, values)


class UserBackend(ModelBackend):
    """Django's ModelBackend (e-mail and password, permissions), with the session's user read by `user_by_pk`.
    The rule is Django's: an inactive user has no session."""

    def get_user(self, user_id):
        user = user_by_pk(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
