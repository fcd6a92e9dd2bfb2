"""The session's user is read by `accounts.backends.user_by_pk`: the same object an ORM query gives."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.backends import UserBackend, user_by_pk
from accounts.tests.factories import UserFactory
from conftest import verify

pytestmark = pytest.mark.django_db


def test_the_user_read_for_a_session_equals_the_orm_one_field_by_field(customer, company):
    verify(customer, company)
    customer.last_login = timezone.now()
    customer.save()
    orm = get_user_model().objects.get(pk=customer.pk)
    read = user_by_pk(customer.pk)
    for field in get_user_model()._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(orm, field.attname), field.name
    assert read.last_login.tzinfo is not None and read.is_verified_customer
    assert read._state.adding is False and read.get_session_auth_hash() == orm.get_session_auth_hash()


def test_unknown_and_inactive_users_get_no_session(db):
    inactive = UserFactory(email="byly@example.com", is_active=False)
    assert user_by_pk(10**9) is None
    assert UserBackend().get_user(10**9) is None
    assert UserBackend().get_user(inactive.pk) is None
