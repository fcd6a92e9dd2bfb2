"""The page header (core/templatetags/portal.py): remembered per language, kind of user, name, address and
path, with a fresh CSRF field on every request."""

import re

import pytest
from django.template.loader import render_to_string
from django.test import Client

from conftest import verify

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def test_the_language_switch_and_logout_carry_a_working_csrf_field_on_every_request(customer, company):
    verify(customer, company)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(customer)
    # The header comes first: its language switch and logout form, then the contact form's own field.
    first, second = (TOKEN.findall(browser.get("/contact/").content.decode())[:2] for _ in range(2))
    assert first[0] == first[1] and second[0] == second[1]
    assert first[0] != second[0]  # masked anew for each response, as Django's own tag does
    response = browser.post(
        "/accounts/language/", {"language": "en", "next": "/contact/", "csrfmiddlewaretoken": second[0]}
    )
    assert response.status_code == 302
    assert browser.get("/contact/").content.decode().count('lang="en"') >= 1


def test_each_user_sees_their_own_name_and_menu_for_their_kind(client, customer, colleague, partner, company, reseller):
    customer.first_name, partner.first_name = "Anna", "Piotr"
    verify(customer, company)
    verify(partner, reseller, "partner")
    client.force_login(customer)
    page = client.get("/contact/").content.decode()
    assert "Anna" in page and customer.email in page and 'href="/contracts/"' in page
    client.force_login(partner)
    page = client.get("/contact/").content.decode()
    assert "Piotr" in page and "Anna" not in page and customer.email not in page
    assert 'href="/tickets/"' in page and 'href="/contracts/"' not in page
    client.logout()
    page = client.get("/contact/").content.decode()
    assert "Piotr" not in page and 'href="/accounts/login/"' in page


def test_a_page_drawn_without_a_request_still_has_its_header():
    html = render_to_string("base.html", {})
    assert 'class="site-header"' in html and "csrfmiddlewaretoken" not in html
