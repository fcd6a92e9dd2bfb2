import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_email_is_stored_trimmed_and_lower_case():
    user = User.objects.create_user("  Anna.Nowak@Example.COM ", password=DEFAULT_PASSWORD)
    assert user.email == "anna.nowak@example.com"


def test_a_second_account_with_the_same_email_in_other_case_is_refused():
    UserFactory(email="anna@example.com")
    duplicate = User(email="ANNA@example.com")
    duplicate.set_password(DEFAULT_PASSWORD)
    with pytest.raises(ValidationError) as excinfo:
        duplicate.full_clean()
    assert "email" in excinfo.value.message_dict


def test_database_refuses_case_variant_even_when_model_code_is_bypassed():
    UserFactory(email="anna@example.com")
    with pytest.raises(IntegrityError):
        User.objects.bulk_create([User(email="Anna@Example.com", password="x")])


def test_login_with_email_in_any_case(rf):
    UserFactory(email="anna@example.com")
    request = rf.get("/")
    assert authenticate(request, username="ANNA@example.com", password=DEFAULT_PASSWORD) is not None
    assert authenticate(request, username="anna@example.com", password="wrong-password-123") is None


def test_superuser_is_an_engineer():
    admin = User.objects.create_superuser("admin@example.com", password=DEFAULT_PASSWORD)
    assert admin.is_staff and admin.is_superuser


def test_phone_must_be_nine_digits():
    user = UserFactory.build(phone="+48600100200")
    with pytest.raises(ValidationError) as excinfo:
        user.full_clean()
    assert "phone" in excinfo.value.message_dict
