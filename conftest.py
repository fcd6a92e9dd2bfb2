"""Fixtures shared by every app's tests: the standard cast, Celery in-process, and a real Chromium."""

import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from myhezo.celery import app as celery_app

CHROMIUM = Path(os.environ.get("MYHEZO_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def skip_or_fail(reason: str) -> None:
    """Skip on a developer's machine that lacks something; in CI (CI=true) the same gap is a failure, except
    PostgreSQL or Redis on the CI run that goes without them on purpose (`services_absent_on_purpose`)."""
    if os.environ.get("CI") == "true" and not services_absent_on_purpose(reason):
        pytest.fail(f"CI must run this test: {reason}")
    pytest.skip(reason)


# .ci/run runs the suite twice: first as the README's quick start, nothing configured (SQLite, no Redis), with
# MYHEZO_CI_EMBEDDED=1 ("this run is the embedded default on purpose"); then on PostgreSQL and Redis. On the
# first run a test that needs PostgreSQL or Redis is skipped; on the second, or with either configured, it
# fails like any other gap. A gap that is not a service (Chromium, gettext, HarfBuzz) fails on both runs.
SERVICE_WORDS = ("postgresql", "database_url", "redis")


def services_absent_on_purpose(reason: str) -> bool:
    """Whether the gap is PostgreSQL or Redis (the reason names one) on a run that has neither on purpose."""
    from django.conf import settings

    return (
        os.environ.get("MYHEZO_CI_EMBEDDED") == "1"
        and "postgresql" not in settings.DATABASES["default"]["ENGINE"]
        and not settings.REDIS_URL
        and any(word in reason.lower() for word in SERVICE_WORDS)
    )


@pytest.fixture(autouse=True)
def celery_in_process():
    """Tests run tasks in-process unless they start a real worker (see core/tests/test_celery_worker.py)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fresh_cache(settings, request):
    """Each test gets an empty cache of its own (throttle counters must not leak between tests). Tests
    marked `real_cache` keep the configured one (Redis in CI)."""
    if "real_cache" not in request.keywords:
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": request.node.nodeid},
        }


@pytest.fixture(autouse=True)
def _fresh_fragments():
    """Remembered fragments (core/fragments.py) do not outlive a test that may change what they draw."""
    from core.fragments import fragments_clear

    fragments_clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request in English leaves English active in the thread (the
    locale middleware activates a language per request), which must not decide the next test's messages."""
    from django.conf import settings as django_settings
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests create many users; production's slow hash would dominate the run (Django's own advice)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"


# --- The standard cast -------------------------------------------------------------------------------
# Companies and users as later issues verify them: a customer, a colleague from the same company, a
# customer of another company, a partner (the reseller's user) and an engineer.


@pytest.fixture
def company(db):
    from contracts.tests.factories import CompanyFactory

    return CompanyFactory(name="Kowalski Systemy Sp. z o.o.", nip="5260250274")


@pytest.fixture
def other_company(db):
    from contracts.tests.factories import CompanyFactory

    return CompanyFactory(name="Żółta Łódź S.A.", nip="9512359849")


@pytest.fixture
def reseller(db):
    from contracts.tests.factories import CompanyFactory

    return CompanyFactory(name="Arkanet Sp. z o.o.", nip="7740001454")


@pytest.fixture
def customer(company):
    from accounts.tests.factories import UserFactory

    return UserFactory(email="anna@kowalski.example", nip=company.nip, company_name=company.name)


@pytest.fixture
def colleague(company):
    from accounts.tests.factories import UserFactory

    return UserFactory(email="piotr@kowalski.example", nip=company.nip, company_name=company.name)


@pytest.fixture
def other_customer(other_company):
    from accounts.tests.factories import UserFactory

    return UserFactory(email="ewa@zolta.example", nip=other_company.nip, company_name=other_company.name)


@pytest.fixture
def partner(reseller):
    from accounts.tests.factories import UserFactory

    return UserFactory(email="marek@arkanet.example", nip=reseller.nip, company_name=reseller.name)


@pytest.fixture
def engineer(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(email="inzynier@myhezo.example", is_staff=True, language="pl")


@pytest.fixture
def login_with_otp(client):
    """Log a user in as if they had passed password and TOTP: the session is OTP-verified."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def login(user, *, with_client=None):
        with_client = with_client or client
        device = TOTPDevice.objects.filter(user=user).first() or TOTPDevice.objects.create(
            user=user, name="default", confirmed=True
        )
        with_client.force_login(user)
        session = with_client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return with_client

    return login


@pytest.fixture
def service_plans(db):
    """The plans the data migrations seed. A transactional test (browser, real worker) empties every table
    when it ends, seeded rows included, so tests that run after one and need the plans ask for this."""
    import importlib

    from django.apps import apps

    for module, function in [
        ("contracts.migrations.0003_seed_service_plans", "seed"),
        ("contracts.migrations.0004_serviceplan_hezo_pays_return_shipping", "seed_return_shipping"),
        ("operations.migrations.0002_seed_plan_allowances", "seed"),
        ("operations.migrations.0005_seed_plan_scheduled_work", "seed"),
    ]:
        getattr(importlib.import_module(module), function)(apps, None)


# --- Verified users and contracts (tickets, SLA) ------------------------------------------------------
# The cast verified as their roles, and a contract of the customer's company sold by the reseller.


def verify(user, company, role: str = "customer"):
    """Make a user verified for a company, as verification does."""
    user.company = company
    user.role = role
    user.verified_at = timezone.now()
    user.save()
    return user


@pytest.fixture
def contract(service_plans, company, reseller):
    from contracts.tests.factories import make_contract

    return make_contract(
        customer=company,
        reseller=reseller,
        number="A100001",
        plan_name="HEZO 360",
        serials=("FG100FTK20001234", "FG60FTK20005678"),
    )


@pytest.fixture
def other_contract(service_plans, other_company, reseller):
    from contracts.tests.factories import make_contract

    return make_contract(customer=other_company, reseller=reseller, number="B200002", serials=("FGT40F0000000001",))


@pytest.fixture
def expired_contract(service_plans, company):
    today = timezone.localdate()
    from contracts.tests.factories import make_contract

    return make_contract(
        customer=company,
        number="C300003",
        serials=("YEA20OLD0001",),
        plan_name="HEZO+",
        starts_on=today - timedelta(days=800),
        ends_on=today - timedelta(days=1),
    )


@pytest.fixture
def cast(customer, colleague, other_customer, partner, company, other_company, reseller, engineer):
    """Everybody verified as their role: customers of A and B, a partner of the reseller, an engineer."""
    verify(customer, company)
    verify(colleague, company)
    verify(other_customer, other_company)
    verify(partner, reseller, "partner")
    return {
        "customer": customer,
        "colleague": colleague,
        "other": other_customer,
        "partner": partner,
        "engineer": engineer,
    }


@pytest.fixture
def outbox(db):
    from tickets.tests.factories import Outbox

    return Outbox()


# --- A real browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists() and not shutil.which(str(CHROMIUM)):
        skip_or_fail(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the tests' own ORM calls are still
    # synchronous and safe, so Django's async guard is lifted for the browser tests.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium, live_server):
    """A fresh browser context (Polish browser, no cookies) and a page; `page.base_url` is the live server."""
    contexts = []

    def open_page(locale: str = "pl-PL"):
        context = chromium.new_context(locale=locale, base_url=live_server.url)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
