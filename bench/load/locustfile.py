"""The load test's users (bench/load/run.py starts locust with this file).

Each simulated user is one verified customer with a session that passed the second factor (prepared by
bench/load/prepare.py, read from LOAD_SESSIONS). It reads — the dashboard, the ticket list, its company's
ticket — and now and then opens a ticket through the form, as a browser does (GET the form for the CSRF
token, POST it). Every ticket number it was given is appended to LOAD_CREATED, and every response's status
is counted into LOAD_SUMMARY when locust stops, so run.py can check that nothing failed and nothing was lost.
"""

import itertools
import json
import os
import re
import threading
from collections import Counter

from locust import HttpUser, between, events, task

with open(os.environ["LOAD_SESSIONS"]) as sessions_file:
    SESSIONS = json.load(sessions_file)
CREATED = os.environ["LOAD_CREATED"]
SUMMARY = os.environ["LOAD_SUMMARY"]
TIMEOUT_S = float(os.environ.get("LOAD_TIMEOUT_S", "60"))
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TICKET_URL_RE = re.compile(r"^/tickets/(HZ-\d{4}-\d{6})/$")

_next_session = itertools.cycle(SESSIONS)
_lock = threading.Lock()
statuses: Counter = Counter()
errors: Counter = Counter()


@events.request.add_listener
def _count(request_type, name, response, exception, **kwargs):
    if exception is not None and not getattr(response, "status_code", 0):
        errors[f"{name}: {getattr(response, 'error', None) or exception!r}"[:200]] += 1
    else:
        statuses[str(response.status_code)] += 1


@events.quitting.add_listener
def _write_summary(environment, **kwargs):
    with open(SUMMARY, "w") as out:
        json.dump({"statuses": statuses, "errors": errors}, out)


class Customer(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self):
        with _lock:
            self.account = next(_next_session)
        self.client.cookies.set(self.account["cookie_name"], self.account["session"])

    def _get(self, url, name=None):
        with self.client.get(url, name=name or url, timeout=TIMEOUT_S, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{url}: {response.status_code}")

    @task(3)
    def dashboard(self):
        self._get("/dashboard/")

    @task(3)
    def ticket_list(self):
        self._get("/tickets/")

    @task(3)
    def ticket_page(self):
        self._get(f"/tickets/{self.account['ticket']}/", name="/tickets/[number]/")

    @task(1)
    def open_ticket(self):
        form = self.client.get("/tickets/new/", timeout=TIMEOUT_S)
        token = CSRF_RE.search(form.text) if form.status_code == 200 else None
        if token is None:
            return
        data = {
            "csrfmiddlewaretoken": token.group(1),
            "contract_line": self.account["line"],
            "priority": "non_critical",
            "title": "Load test: VPN drops every few minutes",
            "description": "Opened by the load test.\nIt reads, then writes.",
            "cc_emails": "",
        }
        with self.client.post(
            "/tickets/new/", data=data, allow_redirects=False, timeout=TIMEOUT_S, catch_response=True
        ) as response:
            found = TICKET_URL_RE.match(response.headers.get("Location", ""))
            if response.status_code != 302 or found is None:
                response.failure(f"opening a ticket: {response.status_code}")
                return
            with _lock, open(CREATED, "a") as out:
                out.write(json.dumps({"number": found.group(1), "user": self.account["email"]}) + "\n")
