"""One identity per address (issue 14, SPEC §3): look-alike addresses cannot lock a user out, get a fresh
password-guessing budget, or tell who is registered. Each test reproduces a finding of the attack on the
production path."""

import importlib

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.test import Client

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from accounts.tests.helpers import password_step
from core.models import ContactMessage, OutboxEmail
from core.text import email_canonical

from .test_views_registration import FORM

pytestmark = pytest.mark.django_db

REAL = "r2@drugi.example"
DOTLESS = "r2@drugı.example"  # U+0131 LATIN SMALL LETTER DOTLESS I: PostgreSQL's UPPER('ı') is 'I'
WRONG = "wrong-password-123"


def register(client, email: str, django_capture_on_commit_callbacks, **extra):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post("/accounts/register/", {**FORM, "email": email}, **extra)


def test_the_canonical_form_folds_case_and_compatibility_letters_and_encodes_the_domain():
    assert email_canonical("R2@DRUGI.Example ") == REAL
    assert email_canonical("ſzef@kowalski.example") == "szef@kowalski.example"  # ſ (long s) is NFKC s
    assert email_canonical("jan@ŁÓDŹ.pl") == "jan@xn--d-uga0v4h.pl" == email_canonical("JAN@xn--d-uga0v4h.PL")
    assert email_canonical(DOTLESS) != REAL  # another domain, so never the real user's identity


def test_a_look_alike_registration_is_refused_and_the_real_user_still_logs_in(
    client, django_capture_on_commit_callbacks
):
    real = UserFactory(email=REAL)
    response = register(client, DOTLESS, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert "look like other letters" in response.content.decode() or "wyglądają" in response.content.decode()
    assert User.objects.count() == 1 and not mail.outbox
    assert password_step(Client(), REAL).status_code == 302  # was a 500: two rows for one lookup
    assert real.email_canonical == REAL


def test_a_twin_from_before_the_rule_locks_nobody_out_and_gives_no_extra_guesses(settings):
    """An old twin row (registered before look-alikes were refused) cannot stand in for the real user: the
    login finds the account by its canonical form, and the look-alike spelling is another identity."""
    settings.MYHEZO_LOGIN_RATE_PER_ACCOUNT_AND_IP = "3/15m"
    real = UserFactory(email=REAL)
    twin = UserFactory(email="twin@drugi.example", is_active=False)
    User.objects.filter(pk=twin.pk).update(email=DOTLESS, email_canonical=email_canonical(DOTLESS))
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for spelling in ("R2@drugi.example", "r2@DRUGI.example", "r2@drugi.example"):
        assert password_step(attacker, spelling, WRONG).status_code == 200
    # Every spelling of the real address counted against one budget: the right password is refused now…
    assert password_step(attacker, REAL, DEFAULT_PASSWORD).status_code == 429
    # …and the look-alike spelling is not the real user, whatever the password.
    assert password_step(Client(REMOTE_ADDR="198.51.100.2"), DOTLESS, DEFAULT_PASSWORD).status_code == 200
    assert password_step(Client(REMOTE_ADDR="198.51.100.3"), REAL).status_code == 302
    assert real.pk != twin.pk


def test_registration_answers_a_known_and_an_unknown_look_alike_alike(client, django_capture_on_commit_callbacks):
    """Finding: `ſ` (NFKC s) of a registered address answered 500, of an unknown one 302."""
    UserFactory(email="szef@kowalski.example")
    known = register(Client(), "ſzef@kowalski.example", django_capture_on_commit_callbacks)
    unknown = register(Client(), "ſzefowa@kowalski.example", django_capture_on_commit_callbacks)
    assert known.status_code == unknown.status_code == 200
    assert _errors(known) == _errors(unknown) and _errors(known)
    assert User.objects.count() == 1 and not mail.outbox


def _errors(response) -> list:
    return [str(e) for e in response.context["form"].non_field_errors()] + [
        str(e) for e in response.context["form"].errors.get("email", [])
    ]


class CountingHasher(MD5PasswordHasher):
    algorithm = "counting_md5"
    calls = 0

    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt)


def test_registration_does_the_same_work_for_a_known_and_a_new_address(settings, django_capture_on_commit_callbacks):
    """Finding: about 60 ms for a known address against 1.3 s for a new one (only a new one paid the hash)."""
    settings.PASSWORD_HASHERS = ["accounts.tests.test_identity.CountingHasher"]
    UserFactory(email="anna@kowalski.example")
    work = {}
    for name, email in (("known", "Anna@Kowalski.example"), ("new", "nowa@kowalski.example")):
        CountingHasher.calls = 0
        emails_before = OutboxEmail.objects.count()
        response = register(Client(), email, django_capture_on_commit_callbacks)
        work[name] = (response.status_code, response["Location"], CountingHasher.calls)
        work[name] += (OutboxEmail.objects.count() - emails_before,)
    assert work["known"] == work["new"] == (302, "/accounts/register/done/", 1, 1)


def test_the_owner_of_an_address_gets_one_someone_tried_email_a_day(settings, django_capture_on_commit_callbacks):
    """Finding: five POSTs sent the victim five "someone tried to register" e-mails."""
    settings.MYHEZO_REGISTER_RATE_PER_ADDRESS = "100/h"
    victim = UserFactory(email="anna@kowalski.example")
    for _ in range(5):
        assert register(Client(), victim.email, django_capture_on_commit_callbacks).status_code == 302
    assert [m.to for m in mail.outbox] == [[victim.email]]


def test_registration_is_throttled_per_client_ip_and_per_address(settings, django_capture_on_commit_callbacks):
    settings.MYHEZO_REGISTER_RATE_PER_IP = "3/h"
    settings.MYHEZO_REGISTER_RATE_PER_ADDRESS = "1/h"
    same_place = Client(REMOTE_ADDR="203.0.113.20")
    for n in range(3):
        assert register(same_place, f"osoba{n}@kowalski.example", django_capture_on_commit_callbacks).status_code == 302
    refused = register(same_place, "osoba9@kowalski.example", django_capture_on_commit_callbacks)
    assert refused.status_code == 429 and not User.objects.filter(email="osoba9@kowalski.example").exists()
    # Per address, from many places: past the limit the same page, and nothing is done.
    for n in range(3):
        client = Client(REMOTE_ADDR=f"198.51.100.{n + 10}")
        assert register(client, "Cel@Kowalski.example", django_capture_on_commit_callbacks).status_code == 302
    assert User.objects.filter(email_canonical="cel@kowalski.example").count() == 1
    # The activation e-mail only: the later attempts were not even looked at ("someone tried" not sent).
    assert [m.subject for m in mail.outbox if m.to == ["cel@kowalski.example"]] == [
        "Activate your myHEZO account"
    ]  # FORM registers in English


def test_the_contact_form_is_throttled_per_client_ip(settings, django_capture_on_commit_callbacks):
    settings.MYHEZO_CONTACT_RATE_PER_IP = "2/h"
    data = {"name": "Jan", "email": "jan@kowalski.example", "message": "Proszę o kontakt."}
    client = Client(REMOTE_ADDR="203.0.113.30")
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post("/contact/", data).status_code == 302
    response = client.post("/contact/", data)
    assert response.status_code == 429 and ContactMessage.objects.count() == 2
    assert Client(REMOTE_ADDR="198.51.100.30").post("/contact/", data).status_code == 302


def test_password_reset_finds_the_account_by_its_canonical_address_only(django_capture_on_commit_callbacks):
    real = UserFactory(email=REAL)
    for spelling, sent in ((DOTLESS, False), ("R2@Drugi.EXAMPLE", True)):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            Client().post("/accounts/password/reset/", {"email": spelling})
        assert [m.to for m in mail.outbox] == ([[real.email]] if sent else []), spelling


def test_the_migration_reports_twins_and_deletes_nothing():
    from django.apps import apps

    first = UserFactory(email="swin@drugi.example")
    second = UserFactory(email="other@drugi.example")
    # One identity in two spellings (ſ is NFKC s), as the database could hold them before this migration.
    User.objects.filter(pk=second.pk).update(email="ſwin@drugi.example")
    User.objects.update(email_canonical=None)
    migration = importlib.import_module("accounts.migrations.0005_email_canonical")
    lines: list[str] = []
    twins = migration.canonical_fill(apps, None, report=lines.append)
    assert list(twins) == ["swin@drugi.example"] and len(lines) == 1 and str(second.pk) in lines[0]
    assert User.objects.get(pk=first.pk).email_canonical == "swin@drugi.example"
    assert User.objects.get(pk=second.pk).email_canonical is None
    assert User.objects.count() == 2


def test_a_cc_is_matched_by_identity_and_look_alikes_are_refused(cast, contract):
    from django.core.exceptions import ValidationError

    from tickets.services import ticket_cc_add
    from tickets.tests.factories import make_ticket

    customer = cast["customer"]
    ticket = make_ticket(author=customer, contract=contract, cc_emails=["szef@kowalski.example"])
    for spelling, code in (
        (customer.email.upper(), "cc_duplicate"),  # the reporter, in other letters
        ("ſzef@kowalski.example", "cc_lookalike"),
        ("SZEF@Kowalski.Example", "cc_duplicate"),
        ("szef@kowalskı.example", "cc_lookalike"),
    ):
        with pytest.raises(ValidationError) as refused:
            ticket_cc_add(ticket=ticket, actor=customer, email=spelling)
        assert refused.value.code == code, spelling
    assert list(ticket.ccs.values_list("email", flat=True)) == ["szef@kowalski.example"]
