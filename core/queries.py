"""Queries whose SQL is a pure function of a few plain values, compiled by the ORM once per process.

Building and compiling a queryset costs more Python than running a small one (0.2–0.5 ms against about 0.1 ms).
A selector whose queryset depends only on hashable arguments — a company id, a date; never the time of day, a
setting or a user object — hands its builder to `remembered_rows`: the first call with given values compiles
it, later calls run the same SQL with the same parameters (a statement PostgreSQL keeps planned,
`prepared_rows`) and convert the values as the ORM would.
"""

from collections.abc import Callable
from functools import lru_cache

import psycopg
from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import QuerySet


def remembered_rows(build: Callable[..., QuerySet], *, maxsize: int = 256) -> Callable[..., list[tuple]]:
    """`build(*values)` must return a `values_list()` queryset built from `values` alone; the returned function
    gives its rows (tuples), compiling each distinct `values` once (least recently used first out)."""

    @lru_cache(maxsize=maxsize)
    def compiled(*values):
        compiler = build(*values).query.get_compiler(DEFAULT_DB_ALIAS)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # a filter that matches nothing by construction
            return None
        converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
        return sql, tuple(params), compiler, converters

    def rows(*values) -> list[tuple]:
        entry = compiled(*values)
        if entry is None:
            return []
        sql, params, compiler, converters = entry
        result = prepared_rows(sql, params)
        if converters:
            result = [tuple(row) for row in compiler.apply_converters(result, converters)]
        return result

    rows.compiled = compiled
    return rows


@lru_cache(maxsize=512)
def _literal(sql: str, params: tuple) -> str:
    with connection.cursor() as cursor:
        return cursor.cursor.mogrify(sql, params)


def prepared_rows(sql: str, params: tuple) -> list[tuple]:
    """The rows of `sql` with `params` (hashable values), on PostgreSQL run as a statement the connection keeps
    prepared: PostgreSQL plans it on the first run and reuses the plan afterwards (psycopg keeps the last 100
    per connection). The values are written into the text first, so the plan is made for them — a generic plan
    for parameters could not use the partial indexes (`status <> 'closed'`). For queries that the same
    connection runs again and again and whose planning costs more than their work. Logged like any query;
    other databases run it plainly."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    try:
        text = _literal(sql, params)  # also Django's checks before a query (health, thread)
    except TypeError:  # a value that cannot be a key (a list): written into the text each time
        text = _literal.__wrapped__(sql, params)
    with psycopg.Cursor(connection.connection) as cursor, connection.wrap_database_errors:
        if connection.queries_logged:
            with connection.make_debug_cursor(cursor).debug_sql(text):
                cursor.execute(text, prepare=True)
        else:
            cursor.execute(text, prepare=True)
        return cursor.fetchall()


def prepared_row(sql: str, params: tuple) -> tuple | None:
    """The first row of `prepared_rows(sql, params)`."""
    rows = prepared_rows(sql, params)
    return rows[0] if rows else None
