"""The cache with Redis unreachable (core/cache.py): misses instead of errors, throttles fail open."""

import logging
import time

import pytest
from django.core.cache import caches
from django.test import RequestFactory
from django_ratelimit.core import is_ratelimited

# Nothing listens on port 1: every call is refused at once, like a Redis that is down.
UNREACHABLE = {
    "default": {
        "BACKEND": "core.cache.FailSoftRedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {**settings.CACHES, **UNREACHABLE}
    settings.RATELIMIT_FAIL_OPEN = True
    return caches["default"]


@pytest.fixture
def minutes_pass(monkeypatch):
    """`minutes_pass(n)` moves this process's monotonic clock n minutes on (the real one keeps running)."""
    real, offset = time.monotonic, [0.0]
    monkeypatch.setattr(time, "monotonic", lambda: real() + offset[0])

    def later(minutes: float) -> None:
        offset[0] += minutes * 60

    return later


def outage_warnings(caplog) -> int:
    return sum("Cache unreachable" in record.getMessage() for record in caplog.records)


def test_every_call_answers_as_a_miss_and_the_outage_is_logged_once_a_minute(redis_down, caplog, minutes_pass):
    cache = redis_down
    minutes_pass(1)  # whatever an earlier test logged is a minute old now
    with caplog.at_level(logging.WARNING, logger="core.cache"):
        assert cache.get("k") is None and cache.get("k", 7) == 7 and cache.get("k", default=8) == 8
        assert cache.add("k", 1) is False
        assert cache.set("k", 1) is None
        assert cache.get_or_set("k", 5) == 5
        assert cache.get_many(["a", "b"]) == {}
        assert cache.has_key("k") is False
        assert cache.delete("k") is False
        assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]  # the keys that were not stored
        with pytest.raises(ValueError):
            cache.incr("k")
        assert outage_warnings(caplog) == 1  # a dozen failed calls, one line in the log
        minutes_pass(0.5)
        assert cache.get("k") is None
        assert outage_warnings(caplog) == 1
        minutes_pass(0.5)
        assert cache.get("k") is None
        assert outage_warnings(caplog) == 2  # a minute after the first, the outage is logged again


def test_throttles_allow_the_request_while_the_cache_is_down(redis_down):
    request = RequestFactory().post("/accounts/verify/", REMOTE_ADDR="192.0.2.1")
    for _ in range(50):
        assert not is_ratelimited(request, group="verify-ip", key="ip", rate="1/h", method="POST", increment=True)


@pytest.mark.django_db
def test_pages_that_throttle_still_work_with_the_cache_down(redis_down, client, customer):
    login = client.post(
        "/accounts/login/",
        {"login_view-current_step": "auth", "auth-username": customer.email, "auth-password": "wrong password!"},
    )
    assert login.status_code == 200  # the form again, with its error; not a 500 or a lockout
    reset = client.post("/accounts/password/reset/", {"email": customer.email})
    assert reset.status_code == 302
    assert client.get("/contact/").status_code == 200
