"""Django's PostgreSQL backend with a health check that costs no round trip while nothing is wrong.

`CONN_HEALTH_CHECKS` makes Django ask a kept connection `SELECT 1` before the first query of every request, so
a connection PostgreSQL dropped (a restart, a terminated backend) is replaced before a page uses it. A dropped
connection always leaves something to read on its socket — the server's goodbye message or the end of the
stream — while an idle, healthy one has nothing: so the question is asked only when the socket has something
to say, and a busy portal does not pay a round trip per page for it (issue 8)."""

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        if self.connection is None:
            return False
        try:
            readable, _, _ = select.select([self.connection.fileno()], [], [], 0)
        except (OSError, ValueError):  # the socket is gone
            return False
        # Something arrived since the last query (a goodbye, a notice): ask the server as Django does.
        return super().is_usable() if readable else True
