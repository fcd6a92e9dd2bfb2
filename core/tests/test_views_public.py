import pytest
from django.core import mail
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
