"""Django's SQLite backend with UPPER and LOWER that know every letter, as PostgreSQL's do.

SQLite's own UPPER and LOWER change ASCII letters only, so in the embedded default (`make run`, `make test`
without DATABASE_URL) a search for "łódź" would miss "ŁÓDŹ": the ticket search compares upper-cased text
(`Ticket.search_key`, a column the database computes with UPPER). Python's str.upper and str.lower replace
the built-ins on every new connection; SQLite lets an application redefine a built-in function."""

from django.db.backends.sqlite3 import base


def _upper(value):
    return value.upper() if isinstance(value, str) else value


def _lower(value):
    return value.lower() if isinstance(value, str) else value


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        # Deterministic: SQLite may use them in generated columns and indexes.
        connection.create_function("UPPER", 1, _upper, deterministic=True)
        connection.create_function("LOWER", 1, _lower, deterministic=True)
        return connection
