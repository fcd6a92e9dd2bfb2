"""While the database cannot be reached, every request gets 503 with `Retry-After` and a page in Polish and
English (core.views.server_error, the project's handler500), never Django's 500.

The database is made unreachable through Django's public seam for it, `connection.execute_wrapper`: every query
of the request raises the OperationalError (or InterfaceError) Django raises for a refused or broken connection,
without stopping the database anybody else uses. `tests/test_faults.py` does the same with PostgreSQL really
stopped (CI, MYHEZO_FAULT_TESTS=1).
"""

from contextlib import contextmanager

import pytest
from django.db import InterfaceError, OperationalError, ProgrammingError, connection
from django.test import Client

from accounts.tests.helpers import password_step

pytestmark = pytest.mark.django_db

POLISH = "Portal chwilowo niedostępny"
ENGLISH = "The portal is temporarily unavailable"


@contextmanager
def database_raising(error: type[Exception], message: str = "connection refused"):
    def refuse(execute, sql, params, many, context):
        raise error(message)

    with connection.execute_wrapper(refuse):
        yield


def assert_database_down_page(response) -> None:
    page = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert POLISH in page and ENGLISH in page
    assert "+48 12 25 25 600" in page and "pomoc@myhezo.pl" in page
    # The portal's headers stay on it, and nobody's page is remembered by a cache.
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_logged_in_user_gets_the_bilingual_503_page_when_the_database_is_unreachable(customer, login_with_otp, error):
    client = login_with_otp(customer, with_client=Client(raise_request_exception=False))
    assert client.get("/accounts/settings/").status_code == 200
    # The first query of the request (the session's user, in a middleware) is refused.
    with database_raising(error):
        response = client.get("/accounts/settings/")
    assert_database_down_page(response)
    assert client.get("/accounts/settings/").status_code == 200  # and back as soon as the database answers


def test_an_anonymous_login_gets_the_503_page_in_both_languages_whatever_the_language(customer):
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    with database_raising(OperationalError):
        response = password_step(client, customer.email)
    assert_database_down_page(response)


def test_a_fault_in_a_query_is_still_a_500():
    client = Client(raise_request_exception=False)
    with database_raising(ProgrammingError, "syntax error"):
        response = password_step(client, "anna@kowalski.example")
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert ENGLISH not in response.content.decode()
