"""The portal in real Chromium (Debian's /usr/bin/chromium driven by Playwright)."""

import pytest
from django.core import mail

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_in_polish_then_english_and_back(browser_page):
    page = browser_page(locale="pl-PL")
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "pl"
    assert page.locator("h1").inner_text() == "Wsparcie dla Twoich umów HEZO+ i HEZO 360"
    assert page.get_by_role("link", name="Zaloguj się").first.is_visible()

    page.get_by_test_id("lang-en").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Support for your HEZO+ and HEZO 360 contracts"
    assert page.get_by_role("link", name="Log in").first.is_visible()

    # The choice sticks across pages, then switches back.
    page.get_by_role("link", name="Contact").first.click()
    assert page.locator("h1").inner_text() == "Contact the helpdesk"
    page.get_by_test_id("lang-pl").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Kontakt z pomocą techniczną"
    assert page.url.endswith("/contact/")


def test_english_browser_gets_english_and_the_contact_form_works(browser_page):
    page = browser_page(locale="en-GB")
    page.goto("/contact/")
    assert page.locator("h1").inner_text() == "Contact the helpdesk"
    page.get_by_role("button", name="Send message").click()
    assert page.locator("#id_email_error").inner_text() == "This field is required."

    page.get_by_label("Your name").fill("Zofia Żółkiewska")
    page.get_by_label("E-mail address").fill("zofia@example.com")
    page.get_by_label("Message").fill("Proszę o kontakt w sprawie weryfikacji.")
    page.get_by_role("button", name="Send message").click()
    assert "Your message has been sent to the helpdesk" in page.locator(".messages").inner_text()

    [sent] = mail.outbox
    assert sent.to == ["pomoc@myhezo.pl"]
    assert "Proszę o kontakt w sprawie weryfikacji." in sent.body
