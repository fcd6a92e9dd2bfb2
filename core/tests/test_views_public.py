import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from core.models import ContactMessage, OutboxEmail

pytestmark = pytest.mark.django_db

CONTACT = {
    "name": "Jan Kowalski",
    "email": "jan@kowalski.example",
    "phone": "600100200",
    "company_name": "Kowalski Systemy",
    "message": "Nie mogę przejść weryfikacji konta.",
}


def test_home_page_is_public_and_polish_by_default(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="pl")
    assert response.status_code == 200
    assert response["Content-Language"] == "pl"
    assert "Wsparcie dla Twoich umów HEZO+ i HEZO 360" in response.content.decode()
    assert 'href="/accounts/login/"' in response.content.decode()


def test_footer_shows_the_helpdesk_phone_and_email(client):
    page = client.get("/").content.decode()
    assert "+48 12 25 25 600" in page
    assert "mailto:pomoc@myhezo.pl" in page


def test_home_redirects_a_logged_in_user_to_the_dashboard(client, customer, login_with_otp):
    login_with_otp(customer)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:dashboard")
    dashboard = client.get(response["Location"])
    assert "Witaj, Anna." in dashboard.content.decode()


def test_logout_ends_the_session(client, customer, login_with_otp):
    login_with_otp(customer)
    assert client.get(reverse("portal:dashboard")).status_code == 200
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get(reverse("portal:dashboard")).status_code == 302


def test_contact_form_shows_phone_email_and_fields(client):
    page = client.get("/contact/").content.decode()
    for name in ["name", "email", "phone", "company_name", "message"]:
        assert f'name="{name}"' in page
    assert "+48 12 25 25 600" in page and "pomoc@myhezo.pl" in page


def test_contact_form_sends_the_message_to_the_helpdesk(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/contact/", CONTACT, follow=True)
    assert response.redirect_chain == [("/contact/", 302)]
    assert "Dziękujemy. Twoja wiadomość została wysłana" in response.content.decode()
    contact = ContactMessage.objects.get()
    assert contact.language == "pl"
    [sent] = mail.outbox
    assert sent.to == ["pomoc@myhezo.pl"] and sent.reply_to == ["jan@kowalski.example"]
    assert CONTACT["message"] in sent.body


@pytest.mark.parametrize(
    ("language", "expected"),
    [("pl", "Wprowadź poprawny adres email."), ("en", "Enter a valid email address.")],
)
def test_contact_form_errors_are_shown_next_to_the_field_in_the_users_language(client, language, expected):
    response = client.post("/contact/", {**CONTACT, "email": "jan-at-kowalski"}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<p class="error" id="id_email_error">{expected}</p>' in page
    assert not ContactMessage.objects.exists()
    assert not OutboxEmail.objects.exists()


def test_contact_form_requires_a_message_and_a_name(client):
    response = client.post("/contact/", {**CONTACT, "message": "", "name": "   "}, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert 'id="id_message_error">This field is required.' in page
    assert 'id="id_name_error">' in page
    assert not ContactMessage.objects.exists()


def test_healthz_answers_ok_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz/")
    assert response.status_code == 200 and response.content == b"ok"


def test_unknown_page_is_a_translated_404(client):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.parametrize(
    ("language", "title", "back", "home"),
    [
        ("pl", "Formularz wygasł", "Wróć do formularza", "Przejdź do strony głównej"),
        ("en", "The form has expired", "Back to the form", "Go to the home page"),
    ],
)
def test_a_form_without_its_token_gets_the_portals_page_in_the_readers_language(settings, language, title, back, home):
    """Issue 18 item 9: a CSRF failure is the portal's own page (its header and footer), in the reader's language,
    with a way back to the form; never Django's bare page with its DEBUG hint; and nothing was done."""
    settings.DEBUG = False
    strict = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE=language)
    response = strict.post("/contact/", CONTACT, HTTP_REFERER="http://testserver/contact/")
    page = " ".join(response.content.decode().split())
    assert response.status_code == 403
    assert response["Content-Language"] == language
    assert f"<h1>{title}</h1>" in page
    assert f'<a class="button" href="http://testserver/contact/">{back}</a>' in page
    assert home in page and 'class="site-footer"' in page
    assert "DEBUG" not in page and "CSRF" not in page
    assert not ContactMessage.objects.exists() and not mail.outbox

    # A link back only to this site: another site's page is never offered.
    foreign = strict.post("/contact/", CONTACT, HTTP_REFERER="https://evil.example/phish").content.decode()
    assert "evil.example" not in foreign and back not in foreign and home in foreign


def test_csrf_failure_page_keeps_the_logged_in_users_language_and_header(cast, contract, login_with_otp):
    from tickets.tests.factories import make_ticket

    customer = cast["customer"]
    customer.language = "en"
    customer.save()
    strict = login_with_otp(customer, with_client=Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="pl"))
    ticket = make_ticket(author=customer, contract=contract)
    response = strict.post(f"/tickets/{ticket.number}/close/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "The form has expired" in page and customer.email in page  # the account menu: the request was used
    ticket.refresh_from_db()
    assert ticket.is_open
