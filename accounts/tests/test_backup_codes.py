"""Backup codes are stored as salted hashes, shown once, and each works once (ASVS 5.0 V6.5.1–V6.5.4)."""

import re

import pytest
from django.apps import apps
from django.contrib.auth.hashers import identify_hasher
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.otp_hashed.codes import ALPHABET, code_generate, code_hash, code_matches, code_normalize
from accounts.otp_hashed.models import BackupCode, BackupCodeDevice
from accounts.services import backup_codes_set
from accounts.tests.helpers import backup_step, password_step, reauthenticate

pytestmark = pytest.mark.django_db

BACKUP_PAGE = "/accounts/two-factor/backup-tokens/"


def generate(client) -> list[str]:
    assert reauthenticate(client).status_code == 302
    response = client.post(BACKUP_PAGE)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    return re.findall(r"<li><code>([0-9a-z-]+)</code></li>", response.content.decode())


def log_in_with_backup(client, user, code):
    assert password_step(client, user.email).status_code == 200
    return backup_step(client, code)


def test_generated_codes_are_shown_once_and_stored_only_as_salted_hashes(client, customer, login_with_otp):
    login_with_otp(customer)
    codes = generate(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    digests = list(BackupCode.objects.filter(device__user=customer).values_list("digest", flat=True))
    assert len(digests) == 10
    for code in codes:
        assert all(code not in d and code_normalize(code) not in d for d in digests)
    salts = {d.split("$")[1] for d in digests}
    assert len(salts) == 10 and all(len(salt) == 32 for salt in salts)  # 128-bit salt per code
    assert StaticToken.objects.count() == 0  # nothing in django-otp's plain-text table
    page = client.get(BACKUP_PAGE).content.decode()
    assert not any(code in page for code in codes)  # never shown again
    assert 'id="backup-codes-remaining"' in page


def test_each_code_works_once_typed_in_any_case_with_or_without_dashes(client, customer, login_with_otp):
    login_with_otp(customer)
    codes = generate(client)
    client.post("/accounts/logout/")
    typed = " " + codes[0].replace("-", "").upper() + " "
    assert log_in_with_backup(client, customer, typed).status_code == 302
    assert client.get("/dashboard/").status_code == 200
    client.post("/accounts/logout/")
    assert log_in_with_backup(client, customer, codes[0]).status_code == 200  # used up
    assert client.get("/dashboard/").status_code == 302
    assert BackupCode.objects.filter(device__user=customer).count() == 9


def test_a_new_set_replaces_the_old_one(client, customer, login_with_otp):
    login_with_otp(customer)
    old = generate(client)
    new = generate(client)
    assert not set(old) & set(new)
    device = BackupCodeDevice.objects.get(user=customer)
    assert not device.verify_token(old[0])
    device.throttle_reset()
    assert device.verify_token(new[0])


def test_a_wrong_code_slows_down_the_next_try():
    from accounts.tests.factories import UserFactory

    device = backup_codes_set(user=UserFactory(), codes=["abcd-efgh-jkmn-pqrs-tvwx-yz01"])
    assert not device.verify_token("0000-0000-0000-0000-0000-0000")
    device.refresh_from_db()
    assert not device.verify_token("abcd-efgh-jkmn-pqrs-tvwx-yz01")  # right, but within the back-off
    assert device.codes.count() == 1


def test_generated_codes_have_120_random_bits_from_crockfords_alphabet():
    code = code_generate()
    assert re.fullmatch(r"([0-9a-z]{4}-){5}[0-9a-z]{4}", code)
    raw = code.replace("-", "")
    assert len(raw) * 5 >= 112 and set(raw) <= set(ALPHABET)
    assert code_normalize("O1LI-") == "0111"  # look-alike letters are read as the digits they resemble


def test_codes_not_from_the_generator_get_the_slow_password_hasher():
    digest = code_hash("demo1111", high_entropy=False)
    assert identify_hasher(digest)  # Django's salted password-hash format, not the fast one
    assert code_matches("DEMO1111", digest) and not code_matches("demo1112", digest)
    fast = code_hash("abcd-efgh-jkmn-pqrs-tvwx-yz01", high_entropy=True)
    assert fast.startswith("hmac_sha256$") and code_matches("ABCDEFGHJKMNPQRSTVWXYZ01", fast)


def test_plain_static_tokens_are_migrated_to_hashes_and_removed(client, customer):
    """accounts/otp_hashed/migrations/0002: django-otp's plain tokens become hashed codes that still work."""
    from importlib import import_module

    TOTPDevice.objects.create(user=customer, name="default", confirmed=True)
    static = StaticDevice.objects.create(user=customer, name="backup", confirmed=True)
    for token in ("ab2cd3ef", "gh4ij5kl"):
        static.token_set.create(token=token)

    migration = import_module("accounts.otp_hashed.migrations.0002_static_tokens_to_hashes")
    migration.static_tokens_to_hashes(apps, None)

    assert not StaticDevice.objects.exists() and not StaticToken.objects.exists()
    digests = list(BackupCode.objects.filter(device__user=customer).values_list("digest", flat=True))
    assert len(digests) == 2 and not any("ab2cd3ef" in d or "gh4ij5kl" in d for d in digests)
    assert log_in_with_backup(client, customer, "gh4ij5kl").status_code == 302
    assert BackupCode.objects.filter(device__user=customer).count() == 1
