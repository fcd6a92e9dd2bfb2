"""The access-control matrix of the whole portal (issue 7, item 1; ASVS 5.0 V8 authorization).

Every URL pattern the project serves, found by walking the URLconf, × every kind of user, for GET and POST →
the expected answer. A pattern without an entry in `PORTAL`, `BACK_OFFICE` or `ADMIN_MODELS` fails
`test_every_served_url_has_an_entry_and_every_entry_is_served`, so nobody adds a view without deciding who
may open it.

The world is built once for the module (inside a transaction rolled back at the end), and every request runs
in a savepoint that is rolled back, so a POST that closes the ticket or logs the user out does not change what
the next cell sees. Ids in URLs are real objects of company A: its ticket T (with a file, a CC address and
the engineers' internal note with a file of its own), the file's id, A's contract, A's customer and her
devices, tokens made for her; admin URLs get an object of each registered model. Besides the status, each
cell checks that nobody who may not read T gets any of it in the body (the internal note: nobody outside the
back office), and that nobody who may not change company A's data changed it.

Kinds of user:
  anonymous            no session
  unverified           registered with company A's NIP, passed the second factor, not verified yet
  no_otp               the customer of company A after the password only (she has a TOTP device)
  customer_a           the customer of company A, both factors: the reporter of T
  customer_b           a customer of company B, both factors
  partner_consent      a user of the reseller that sold A's contract; A allowed the reseller to see T
  partner_no_consent   the same partner after A withdrew the consent
  engineer             HEZO staff (no model permissions: the ticket desk), both factors
  superuser            HEZO superuser, both factors
and, for the back office only, the engineer and the superuser after the password only (they get what an
anonymous visitor gets).

Outcomes: "200", "400", "403", "404", "405"; LOGIN = 302 to the login with ?next= this URL; ADMIN = 302 to the
admin login with ?next= this URL (which sends on to the portal's login); VERIFY = 302 to the verification
form; REAUTH = 302 to the password page with ?next= this URL (a change of the second factor in a session that
has not typed the password for 10 minutes: every session here); or "302 <location>". A method that a URL
never accepts is a 405 before any object is looked up, so it tells nothing about the object either.
"""

import importlib
import re
import zlib
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

KINDS = (
    "anonymous",
    "unverified",
    "no_otp",
    "customer_a",
    "customer_b",
    "partner_consent",
    "partner_no_consent",
    "engineer",
    "superuser",
)
METHODS = ("GET", "POST")

OK, E400, E403, E404, E405 = "200", "400", "403", "404", "405"
LOGIN, ADMIN, VERIFY, REAUTH = "login", "admin", "verify", "reauth"
DASH = "302 /dashboard/"
SETTINGS = "302 /accounts/settings/"
HOME = "302 /"


def every(outcome: str) -> tuple:
    return (outcome,) * len(KINDS)


NON_STAFF = (ADMIN,) * 7  # everybody but the engineer and the superuser

# --- What company A has, and who may see it ----------------------------------------------------------

TITLE = "Tunel IPsec do oddziału Kraków nie wstaje"
FILE = b"config system global\n    set hostname FW-KOWALSKI-KRK\nend\n"
CC = "kierownik@kowalski.example"
NOTE = "Hasło do panelu klienta w załączniku, tylko dla nas."
NOTE_FILE = "hasla-admina-kowalski.txt"
NOTE_CONTENT = b"admin / Zx9-wewnetrzne-haslo\n"
CONTRACT_A = "A100001"
SERIAL_A = "FG100FTK20001234"

NOTE_SECRETS = (NOTE.encode(), NOTE_FILE.encode(), NOTE_CONTENT)
A_SECRETS = (TITLE.encode(), FILE, CC.encode(), CONTRACT_A.encode(), SERIAL_A.encode(), *NOTE_SECRETS)
NEVER_IN_BODY = {
    "anonymous": A_SECRETS,
    "unverified": A_SECRETS,
    "no_otp": A_SECRETS,
    "customer_a": NOTE_SECRETS,
    "customer_b": A_SECRETS,
    "partner_consent": (*NOTE_SECRETS, CC.encode()),  # partners read the dialog, not who gets copies
    "partner_no_consent": A_SECRETS,
    "engineer": (),
    "superuser": (),
    # Staff after the password only: in the back office like anybody else (test_the_back_office_needs_...).
    "engineer_no_otp": A_SECRETS,
    "superuser_no_otp": A_SECRETS,
    # Staff never act as a company user (SPEC §3): what the engineer gets, wherever the engineer gets it.
    "engineer_in_company": (),
}
# Who must leave company A's data as it was (the customer and HEZO's staff may change it).
READ_ONLY = {
    "anonymous",
    "unverified",
    "no_otp",
    "customer_b",
    "partner_consent",
    "partner_no_consent",
    "engineer_no_otp",
    "superuser_no_otp",
}
READS_T = {"customer_a", "partner_consent", "engineer", "superuser"}


# --- The expectation table: the portal ---------------------------------------------------------------

# fmt: off
PORTAL = {
    #        anon    unverif no_otp  cust_a  cust_b  p_cons  p_none  engin   super
    "": (
        (OK,     DASH,   DASH,   DASH,   DASH,   DASH,   DASH,   DASH,   DASH),
        every(E405),
    ),
    "dashboard/": (
        (LOGIN,  OK,     LOGIN,  OK,     OK,     OK,     OK,     OK,     OK),
        (LOGIN,  OK,     LOGIN,  OK,     OK,     OK,     OK,     OK,     OK),
    ),
    "contact/": (every(OK), every(OK)),
    "healthz/": (every(OK), every(E405)),
    # --- login and the second factor (django-two-factor-auth at the portal's URLs)
    "accounts/language/": (every(E405), every(HOME)),
    "accounts/login/": (every(OK), every(OK)),
    "accounts/two-factor/": (
        (LOGIN,  OK,     LOGIN,  OK,     OK,     OK,     OK,     OK,     OK),
        (LOGIN,  E405,   LOGIN,  E405,   E405,   E405,   E405,   E405,   E405),
    ),
    # Changes of the second factor: a verified session, and the password again (accounts/sessions.py).
    "accounts/two-factor/setup/": (  # everybody here has a device: a new one replaces it
        (LOGIN,  REAUTH, LOGIN,  REAUTH, REAUTH, REAUTH, REAUTH, REAUTH, REAUTH),
        (LOGIN,  REAUTH, LOGIN,  REAUTH, REAUTH, REAUTH, REAUTH, REAUTH, REAUTH),
    ),
    "accounts/two-factor/qrcode/": (  # the QR of a secret being enrolled in this session; none is
        (LOGIN,  E404,   E404,   E404,   E404,   E404,   E404,   E404,   E404),
        (LOGIN,  E405,   E405,   E405,   E405,   E405,   E405,   E405,   E405),
    ),
    # The backup codes issued with a new app, shown once; nobody here has codes waiting: the step they are on.
    "accounts/two-factor/setup/complete/": (
        (LOGIN,  VERIFY, LOGIN,  DASH,   DASH,   DASH,   DASH,   DASH,   DASH),
        (LOGIN,  E405,   LOGIN,  E405,   E405,   E405,   E405,   E405,   E405),
    ),
    "accounts/two-factor/backup-tokens/": (
        (LOGIN,  OK,     LOGIN,  OK,     OK,     OK,     OK,     OK,     OK),
        (LOGIN,  REAUTH, LOGIN,  REAUTH, REAUTH, REAUTH, REAUTH, REAUTH, REAUTH),
    ),
    "accounts/two-factor/disable/": (
        (LOGIN,  REAUTH, LOGIN,  REAUTH, REAUTH, REAUTH, REAUTH, REAUTH, REAUTH),
        (LOGIN,  REAUTH, LOGIN,  REAUTH, REAUTH, REAUTH, REAUTH, REAUTH, REAUTH),
    ),
    "accounts/reauthenticate/": (  # an empty POST is the form again
        (LOGIN,  OK,     LOGIN,  OK,     OK,     OK,     OK,     OK,     OK),
        (LOGIN,  OK,     LOGIN,  OK,     OK,     OK,     OK,     OK,     OK),
    ),
    # --- accounts
    "accounts/logout/": (every(E405), every(HOME)),
    "accounts/register/": (  # a logged-in user: the onboarding step they are on (accounts/onboarding.py)
        (OK,     VERIFY, DASH,   DASH,   DASH,   DASH,   DASH,   DASH,   DASH),
        (OK,     VERIFY, DASH,   DASH,   DASH,   DASH,   DASH,   DASH,   DASH),
    ),
    "accounts/register/done/": (every(OK), every(OK)),
    # Engineers are never company users: no verification for them.
    "accounts/verify/": (
        (LOGIN,  OK,     LOGIN,  DASH,   DASH,   DASH,   DASH,   DASH,   DASH),
        (LOGIN,  OK,     LOGIN,  DASH,   DASH,   DASH,   DASH,   DASH,   DASH),
    ),
    "accounts/settings/": (
        (LOGIN,  OK,     LOGIN,  OK,     OK,     OK,     OK,     OK,     OK),
        (LOGIN,  OK,     LOGIN,  OK,     OK,     OK,     OK,     OK,     OK),
    ),
    "accounts/settings/password/": (
        (LOGIN,  OK,     LOGIN,  OK,     OK,     OK,     OK,     OK,     OK),
        (LOGIN,  OK,     LOGIN,  OK,     OK,     OK,     OK,     OK,     OK),
    ),
    "accounts/settings/email/": (
        (LOGIN,  OK,     LOGIN,  OK,     OK,     OK,     OK,     OK,     OK),
        (LOGIN,  OK,     LOGIN,  OK,     OK,     OK,     OK,     OK,     OK),
    ),
    # GDPR: the user's own data as a download; deleting one's account (an empty POST is the form's error;
    # engineers close accounts in the back office).
    "accounts/settings/data/": (
        (LOGIN,  OK,     LOGIN,  OK,     OK,     OK,     OK,     OK,     OK),
        (LOGIN,  E405,   LOGIN,  E405,   E405,   E405,   E405,   E405,   E405),
    ),
    "accounts/settings/delete/": (
        (LOGIN,  OK,     LOGIN,  OK,     OK,     OK,     OK,     OK,     OK),
        (LOGIN,  E400,   LOGIN,  E400,   E400,   E400,   E400,   E403,   E403),
    ),
    # Links mailed to someone: the token is the permission, whoever opens it (tokens.py, accounts tests).
    # "Your sessions": ending one of company A's customer's other sessions (hers: back to settings; anybody
    # else's: 404), or all of one's own other sessions. POST only.
    "accounts/settings/sessions/<int:pk>/end/": (
        every(E405),
        (LOGIN,  E404,   LOGIN,  SETTINGS, E404, E404,   E404,   E404,   E404),
    ),
    "accounts/settings/sessions/end-others/": (
        every(E405),
        (LOGIN,  SETTINGS, LOGIN, SETTINGS, SETTINGS, SETTINGS, SETTINGS, SETTINGS, SETTINGS),
    ),
    "accounts/settings/email/confirm/<str:token>/": (
        every(OK),
        ("302 /accounts/login/", DASH, DASH, DASH, DASH, DASH, DASH, DASH, DASH),
    ),
    "accounts/password/reset/": (every(OK), every(OK)),
    "accounts/password/reset/sent/": (every(OK), every(E405)),
    "accounts/password/reset/<uidb64>/<token>/": (
        every("302 /accounts/password/reset/{uidb64}/set-password/"),
        every("302 /accounts/password/reset/{uidb64}/set-password/"),
    ),
    "accounts/password/reset/complete/": (every(OK), every(E405)),
    "accounts/activate/resend/": (every(OK), every(OK)),
    "accounts/activate/<str:token>/": (every(OK), every("302 /accounts/activated/")),
    "accounts/activated/": (every("302 /accounts/two-factor/setup/"), every("302 /accounts/two-factor/setup/")),
    # --- contracts and tickets
    "contracts/": (
        (LOGIN,  VERIFY, LOGIN,  OK,     OK,     E404,   E404,   VERIFY, VERIFY),
        (LOGIN,  VERIFY, LOGIN,  OK,     OK,     E404,   E404,   VERIFY, VERIFY),
    ),
    "tickets/": (
        (LOGIN,  VERIFY, LOGIN,  OK,     OK,     OK,     OK,     VERIFY, VERIFY),
        (LOGIN,  VERIFY, LOGIN,  E405,   E405,   E405,   E405,   VERIFY, VERIFY),
    ),
    "tickets/new/": (  # the POST names a device of A's contract: B's customer gets the form's error
        (LOGIN,  VERIFY, LOGIN,  OK,     OK,     E404,   E404,   VERIFY, VERIFY),
        (LOGIN,  VERIFY, LOGIN,  "302 /tickets/{next_number}/", OK, E404, E404, VERIFY, VERIFY),
    ),
    "tickets/<str:number>/": (
        (LOGIN,  VERIFY, LOGIN,  OK,     E404,   OK,     E404,   VERIFY, VERIFY),
        (LOGIN,  VERIFY, LOGIN,  E405,   E405,   E405,   E405,   VERIFY, VERIFY),
    ),
    "tickets/<str:number>/attachments/<int:attachment_id>/": (
        (LOGIN,  VERIFY, LOGIN,  OK,     E404,   OK,     E404,   VERIFY, VERIFY),
        (LOGIN,  VERIFY, LOGIN,  E405,   E405,   E405,   E405,   VERIFY, VERIFY),
    ),
    # The customer's buttons (an empty POST: a form error, or the service's refusal shown on the page).
    "tickets/<str:number>/reply/": (
        (LOGIN,  VERIFY, LOGIN,  E405,   E405,   E405,   E405,   VERIFY, VERIFY),
        (LOGIN,  VERIFY, LOGIN,  E400,   E404,   E404,   E404,   VERIFY, VERIFY),
    ),
    "tickets/<str:number>/close/": (
        (LOGIN,  VERIFY, LOGIN,  E405,   E405,   E405,   E405,   VERIFY, VERIFY),
        (LOGIN,  VERIFY, LOGIN,  "302 /tickets/{number}/", E404, E404, E404, VERIFY, VERIFY),
    ),
    "tickets/<str:number>/reopen/": (
        (LOGIN,  VERIFY, LOGIN,  E405,   E405,   E405,   E405,   VERIFY, VERIFY),
        (LOGIN,  VERIFY, LOGIN,  "302 /tickets/{number}/", E404, E404, E404, VERIFY, VERIFY),
    ),
    "tickets/<str:number>/partner-access/": (
        (LOGIN,  VERIFY, LOGIN,  E405,   E405,   E405,   E405,   VERIFY, VERIFY),
        (LOGIN,  VERIFY, LOGIN,  "302 /tickets/{number}/", E404, E404, E404, VERIFY, VERIFY),
    ),
    "tickets/<str:number>/cc/": (
        (LOGIN,  VERIFY, LOGIN,  E405,   E405,   E405,   E405,   VERIFY, VERIFY),
        (LOGIN,  VERIFY, LOGIN,  E400,   E404,   E404,   E404,   VERIFY, VERIFY),
    ),
    "tickets/<str:number>/cc/remove/": (
        (LOGIN,  VERIFY, LOGIN,  E405,   E405,   E405,   E405,   VERIFY, VERIFY),
        (LOGIN,  VERIFY, LOGIN,  "302 /tickets/{number}/", E404, E404, E404, VERIFY, VERIFY),
    ),
    "tickets/<str:number>/escalate/": (
        (LOGIN,  VERIFY, LOGIN,  E405,   E405,   E405,   E405,   VERIFY, VERIFY),
        (LOGIN,  VERIFY, LOGIN,  E400,   E404,   E404,   E404,   VERIFY, VERIFY),
    ),
}

# --- The expectation table: the back office -----------------------------------------------------------
# Nobody but staff with a second-factor session gets past ADMIN. The engineer has no model permissions:
# the ticket desk, replacements and allowance uses are open to all staff (their admins say so); the rest of
# the back office is given by permissions (a superuser here).

BACK = "302 /admin/tickets/ticket/{pk}/change/"  # the desk's buttons go back to the ticket page
BACK_OFFICE = {
    #                                                           GET: engineer, superuser  POST: engineer, superuser
    "admin/":                                                   ((*NON_STAFF, OK, OK), (*NON_STAFF, OK, OK)),
    "admin/login/": (  # the portal's login does it; with no ?next= it leads to the dashboard
        every("302 /accounts/login/?next=/dashboard/"), every("302 /accounts/login/?next=/dashboard/"),
    ),
    "admin/logout/": (  # Django sends the others to the admin's index, which sends them to the login
        (*["302 /admin/"] * 7, E405, E405), (*["302 /admin/"] * 7, HOME, HOME),
    ),
    "admin/password_change/":                                   ((*NON_STAFF, OK, OK), (*NON_STAFF, OK, OK)),
    "admin/password_change/done/":                              ((*NON_STAFF, OK, OK), (*NON_STAFF, E405, E405)),
    "admin/autocomplete/":                                      ((*NON_STAFF, E403, E403), (*NON_STAFF, E405, E405)),
    "admin/jsi18n/":                                            ((*NON_STAFF, OK, OK), (*NON_STAFF, E405, E405)),
    "admin/r/<path:content_type_id>/<path:object_id>/":         ((*NON_STAFF, E404, E404), (*NON_STAFF, E404, E404)),
    "admin/(?P<app_label>...)/$":                               ((*NON_STAFF, OK, OK), (*NON_STAFF, OK, OK)),
    "admin/(?P<url>.*)$":                                       ((*NON_STAFF, E404, E404), (*NON_STAFF, E404, E404)),
    # Custom URLs of model admins.
    "admin/otp_totp/totpdevice/<int:pk>/config/":               ((*NON_STAFF, E403, OK), (*NON_STAFF, E403, OK)),
    "admin/otp_totp/totpdevice/<int:pk>/qrcode/":               ((*NON_STAFF, E403, OK), (*NON_STAFF, E403, OK)),
    "admin/accounts/user/<id>/password/":                       ((*NON_STAFF, E403, OK), (*NON_STAFF, E403, OK)),
    "admin/tickets/ticket/attachments/<int:attachment_id>/":    ((*NON_STAFF, OK, OK), (*NON_STAFF, OK, OK)),
    "admin/tickets/ticket/<int:pk>/reply/":                     ((*NON_STAFF, E405, E405), (*NON_STAFF, E400, E400)),
    "admin/tickets/ticket/<int:pk>/note/":                      ((*NON_STAFF, E405, E405), (*NON_STAFF, E400, E400)),
    "admin/tickets/ticket/<int:pk>/assign/":                    ((*NON_STAFF, E405, E405), (*NON_STAFF, BACK, BACK)),
    "admin/tickets/ticket/<int:pk>/status/":                    ((*NON_STAFF, E405, E405), (*NON_STAFF, BACK, BACK)),
    "admin/tickets/ticket/<int:pk>/priority/":                  ((*NON_STAFF, E405, E405), (*NON_STAFF, BACK, BACK)),
    "admin/tickets/ticket/<int:pk>/phone/":                     ((*NON_STAFF, E405, E405), (*NON_STAFF, E400, E400)),
    "admin/tickets/ticket/<int:pk>/rma_approve/":               ((*NON_STAFF, E405, E405), (*NON_STAFF, BACK, BACK)),
    "admin/tickets/ticket/<int:pk>/rma_update/":                ((*NON_STAFF, E405, E405), (*NON_STAFF, BACK, BACK)),
    "admin/tickets/ticket/<int:pk>/allowance_use/":             ((*NON_STAFF, E405, E405), (*NON_STAFF, BACK, BACK)),
    "admin/tickets/ticket/<int:pk>/scheduled_agree/":           ((*NON_STAFF, E405, E405), (*NON_STAFF, BACK, BACK)),
    "admin/tickets/ticket/<int:pk>/scheduled_date_change/":     ((*NON_STAFF, E405, E405), (*NON_STAFF, BACK, BACK)),
    "admin/tickets/ticket/<int:pk>/scheduled_done/":            ((*NON_STAFF, E405, E405), (*NON_STAFF, BACK, BACK)),
    # The report for account managers: `reports.view_report` (the Engineers group; a superuser here), read only.
    "admin/reports/report/":                                    ((*NON_STAFF, E403, OK), (*NON_STAFF, E403, E405)),
    "admin/reports/report/csv/":                                ((*NON_STAFF, E403, OK), (*NON_STAFF, E403, E405)),
}
# Model admins that are a page rather than a list of objects (no add, change or delete): their URLs are above.
PAGE_ADMINS = {"reports.report"}

# Every registered model admin: what the engineer and the superuser may do (view, add, change, delete).
ADMIN_MODELS = {
    #                             engineer  superuser
    "auth.group":                 ("",      "vacd"),
    "otp_totp.totpdevice":        ("",      "vacd"),
    "core.outboxemail":           ("",      "v  d"),
    "core.contactmessage":        ("",      "v  d"),
    "accounts.user":              ("",      "vacd"),
    "accounts.authevent":         ("v",     "v"),     # the authentication log: read by every engineer
    "contracts.company":          ("",      "vacd"),
    "contracts.serviceplan":      ("",      "vacd"),
    "contracts.contract":         ("",      "vacd"),
    "tickets.ticket":             ("vac",   "vac"),   # the desk: nobody deletes a ticket
    "tickets.cannedreply":        ("",      "vacd"),  # the Engineers group's permissions give them to engineers
    "operations.replacement":     ("v",     "v"),     # written through the ticket desk only
    "operations.allowanceuse":    ("v",     "v"),
    "operations.planallowance":   ("",      "vacd"),
    "operations.scheduledwork":   ("v",     "v"),     # written through the ticket desk only
    "operations.planscheduledwork": ("",    "vacd"),
    "migration.importrun":        ("",      "v  d"),
    "inbound.inboundmessage":     ("",      "v  d"),  # what the e-mail receiver did
}
# fmt: on


def _admin_model_rows(label: str, engineer: str, superuser: str) -> dict:
    """The standard model admin URLs. An empty POST saves or deletes nothing: add and change show the form's
    errors, delete shows its confirmation page."""
    app, model = label.split(".")
    base = f"admin/{app}/{model}/"

    def may(right):
        return tuple(OK if right in rights else E403 for rights in (engineer, superuser))

    redirect = f"302 /admin/{app}/{model}/{{pk}}/change/"
    return {
        base: ((*NON_STAFF, *may("v")), (*NON_STAFF, *may("v"))),
        base + "add/": ((*NON_STAFF, *may("a")), (*NON_STAFF, *may("a"))),
        base + "<path:object_id>/history/": ((*NON_STAFF, *may("v")), (*NON_STAFF, *may("v"))),
        base + "<path:object_id>/delete/": ((*NON_STAFF, *may("d")), (*NON_STAFF, *may("d"))),
        base + "<path:object_id>/change/": ((*NON_STAFF, *may("v")), (*NON_STAFF, *may("c"))),
        base + "<path:object_id>/": ((*NON_STAFF, redirect, redirect), (*NON_STAFF, redirect, redirect)),
    }


EXPECTED = {**PORTAL, **BACK_OFFICE}
for _label, (_engineer, _superuser) in ADMIN_MODELS.items():
    EXPECTED.update(_admin_model_rows(_label, _engineer, _superuser))

# POST bodies where an empty one would stop before the access decision (a wizard's management form) or
# would not try what a hostile user would (a device of another company).
POST_DATA = {
    "tickets/new/": lambda world: {
        "contract_line": world.line_a.pk,
        "priority": "question",
        "title": "Czy mogę zmienić adres WAN?",
        "description": "Pytanie o konfigurację.",
    },
    "accounts/login/": {"login_view-current_step": "auth"},
    "accounts/two-factor/setup/": {"setup_view-current_step": "welcome"},
    "accounts/two-factor/disable/": {"understand": "on"},
    "accounts/language/": {"language": "pl"},
}
# Capability links: whoever holds the token may use it, so these may change A's data for anybody.
TOKEN_ROUTES = {"accounts/settings/email/confirm/<str:token>/", "accounts/activate/<str:token>/"}
# What the body of a 200 must contain for those who may read T (so a 200 is not an empty page).
SHOWS = {
    ("tickets/", "GET"): (TITLE.encode(), READS_T),
    ("tickets/<str:number>/", "GET"): (TITLE.encode(), READS_T),
    ("tickets/<str:number>/attachments/<int:attachment_id>/", "GET"): (FILE, READS_T),
    ("contracts/", "GET"): (SERIAL_A.encode(), READS_T),
    ("accounts/settings/data/", "GET"): (TITLE.encode(), {"customer_a"}),  # she opened T
    ("admin/tickets/ticket/<path:object_id>/change/", "GET"): (NOTE.encode(), READS_T),
    ("admin/tickets/ticket/attachments/<int:attachment_id>/", "GET"): (FILE, READS_T),
}


# --- The URLconf --------------------------------------------------------------------------------------


def _join(prefix: str, pattern: str) -> str:
    # As Django joins the routes of nested patterns (ResolverMatch.route).
    return prefix + pattern.removeprefix("^") if prefix else pattern


def _key(route: str) -> str:
    # The admin's app list names every app with a model admin; the entry covers them all.
    return re.sub(r"\(\?P<app_label>[^)]*\)", "(?P<app_label>...)", route)


def _walk(patterns, prefix=""):
    for pattern in patterns:
        route = _join(prefix, str(pattern.pattern))
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield _key(route)


def served_routes() -> list[str]:
    return list(_walk(get_resolver().url_patterns))


def registered_admin_models() -> set[str]:
    return {
        model._meta.label_lower
        for model in apps.get_models()
        if admin.site.is_registered(model) and model._meta.label_lower not in PAGE_ADMINS
    }


# --- The world ----------------------------------------------------------------------------------------


@dataclass
class World:
    ticket: object
    attachment: object
    line_a: object
    customer_a: object
    tokens: dict
    admin_objects: dict
    ticket_content_type: int
    sessions: dict = field(default_factory=dict)
    # Another logged-in session of company A's customer ("Your sessions"), by its row's pk.
    customer_a_other_session: int = 0
    # Company A's data as each kind's requests find it: every request is rolled back, so it never changes.
    baselines: dict = field(default_factory=dict)


def _session(user, *, otp: bool) -> str:
    client = Client()
    client.force_login(user)
    if otp:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
        session.save()
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def build_world() -> World:
    from accounts.models import AuthEvent, Role, User, UserSession
    from accounts.services import backup_codes_set, email_change_link_make
    from accounts.tests.factories import UserFactory
    from accounts.tokens import activation_token_make
    from conftest import verify
    from contracts.models import ServicePlan
    from contracts.tests.factories import CompanyFactory, make_contract
    from core.models import OutboxEmail
    from core.services import contact_message_submit
    from inbound.models import InboundMessage
    from migration.models import ImportRun
    from operations import services as operations
    from operations.models import AllowanceKind, PlanAllowance, PlanScheduledWork
    from tickets import services
    from tickets.models import Ticket
    from tickets.tests.factories import make_ticket, upload

    for module, function in [  # as the `service_plans` fixture
        ("contracts.migrations.0003_seed_service_plans", "seed"),
        ("contracts.migrations.0004_serviceplan_hezo_pays_return_shipping", "seed_return_shipping"),
        ("operations.migrations.0002_seed_plan_allowances", "seed"),
        ("operations.migrations.0005_seed_plan_scheduled_work", "seed"),
    ]:
        getattr(importlib.import_module(module), function)(apps, None)

    company_a = CompanyFactory(name="Kowalski Systemy Sp. z o.o.", nip="5260250274")
    company_b = CompanyFactory(name="Żółta Łódź S.A.", nip="9512359849")
    reseller = CompanyFactory(name="Arkanet Sp. z o.o.", nip="7740001454")
    contract_a = make_contract(
        customer=company_a, reseller=reseller, number=CONTRACT_A, serials=(SERIAL_A, "FG60FTK20005678")
    )
    make_contract(customer=company_b, reseller=reseller, number="B200002", serials=("FGT40F0000000001",))

    def person(email, company=None, role=Role.CUSTOMER, **extra):
        user = UserFactory(email=email, nip=company_a.nip, company_name=company_a.name, language="en", **extra)
        if company is not None:
            verify(user, company, role)
        TOTPDevice.objects.create(user=user, name="default", confirmed=True)
        return user

    customer_a = person("anna@kowalski.example", company_a)
    customer_b = person("ewa@zolta.example", company_b)
    partner = person("marek@arkanet.example", reseller, Role.PARTNER)
    unverified = person("nowy@kowalski.example")
    engineer = person("inzynier@myhezo.example", is_staff=True)
    superuser = person("szef@myhezo.example", is_staff=True, is_superuser=True)
    # An engineer given company A by hand (admin refuses it, User.clean; old data or a direct write may not).
    engineer_in_company = person("serwis@myhezo.example", is_staff=True)
    User.objects.filter(pk=engineer_in_company.pk).update(company=company_a, role=Role.CUSTOMER)
    backup_codes_set(user=customer_a, codes=["kowalski1"])

    ticket = make_ticket(
        author=customer_a,
        contract=contract_a,
        title=TITLE,
        attachments=[upload("fortigate.conf", FILE)],
        cc_emails=[CC],
        partner_access=True,
    )
    services.ticket_engineer_reply(
        ticket=ticket, engineer=engineer, body=NOTE, internal=True, attachments=[upload(NOTE_FILE, NOTE_CONTENT)]
    )
    replacement = operations.replacement_approve(ticket=ticket, engineer=engineer, replacement_serial="FG100FTK29999")
    allowance_use = operations.allowance_use_record(ticket=ticket, kind=AllowanceKind.CONFIG_CHANGE, engineer=engineer)
    scheduled_work = operations.scheduled_work_agree(
        ticket=ticket, engineer=engineer, kind="remote_change", agreed_for=timezone.now() + timedelta(days=3)
    )
    contact = contact_message_submit(
        name="Jan Kowalski", email="jan@kowalski.example", message="Nie mogę się zalogować.", language="en"
    )

    sessions = {
        "anonymous": None,
        "unverified": _session(unverified, otp=True),
        "no_otp": _session(customer_a, otp=False),
        "customer_a": _session(customer_a, otp=True),
        "customer_b": _session(customer_b, otp=True),
        "partner_consent": _session(partner, otp=True),
        "partner_no_consent": _session(partner, otp=True),
        "engineer": _session(engineer, otp=True),
        "superuser": _session(superuser, otp=True),
        "engineer_no_otp": _session(engineer, otp=False),
        "superuser_no_otp": _session(superuser, otp=False),
        "engineer_in_company": _session(engineer_in_company, otp=True),
    }
    customer_a.refresh_from_db()  # the tokens depend on last_login, which the logins just set
    not_active_yet = UserFactory(email="nowa@kowalski.example", nip=company_a.nip, language="en", is_active=False)
    ticket = Ticket.objects.get(pk=ticket.pk)
    return World(
        ticket=ticket,
        attachment=ticket.messages.get(kind="reply").attachments.get(),
        line_a=contract_a.lines.order_by("pk").first(),
        customer_a=customer_a,
        tokens={
            "activate": activation_token_make(not_active_yet),
            "email_change": email_change_link_make(user=customer_a, new_email="anna.nowak@kowalski.example"),
            "uidb64": urlsafe_base64_encode(force_bytes(customer_a.pk)),
            "reset": default_token_generator.make_token(customer_a),
        },
        admin_objects={
            "auth.group": Group.objects.create(name="Inżynierowie"),
            "otp_totp.totpdevice": TOTPDevice.objects.get(user=customer_a),
            "core.outboxemail": OutboxEmail.objects.filter(subject__contains=ticket.number).earliest("pk"),
            "core.contactmessage": contact,
            "accounts.user": customer_a,
            "accounts.authevent": AuthEvent.objects.filter(user=customer_a).earliest("pk"),
            "contracts.company": company_a,
            "contracts.serviceplan": ServicePlan.objects.get(pk=contract_a.plan_id),
            "contracts.contract": contract_a,
            "tickets.ticket": ticket,
            "tickets.cannedreply": services.canned_reply_upsert(
                title="Prośba o logi", text_pl="Proszę o logi {device}.", text_en="Please send logs of {device}."
            ),
            "operations.replacement": replacement,
            "operations.allowanceuse": allowance_use,
            "operations.planallowance": PlanAllowance.objects.filter(plan_id=contract_a.plan_id).earliest("pk"),
            "operations.scheduledwork": scheduled_work,
            "operations.planscheduledwork": PlanScheduledWork.objects.filter(plan_id=contract_a.plan_id).earliest("pk"),
            "migration.importrun": ImportRun.objects.create(source="export.jsonl", state=ImportRun.State.FINISHED),
            "inbound.inboundmessage": InboundMessage.objects.create(key="<world@example.com>", outcome="unmatched"),
        },
        ticket_content_type=ContentType.objects.get_for_model(Ticket).pk,
        sessions=sessions,
        # Her session that has not passed the second factor: another of her sessions, as far as she can tell.
        customer_a_other_session=UserSession.objects.get(session_id=sessions["no_otp"]).pk,
    )


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    return tmp_path_factory.mktemp("matrix-media")


@pytest.fixture
def _isolated_media(settings, media, tmp_path):
    """Overrides the root conftest's: the world's files were stored once, for the whole module."""
    settings.MEDIA_ROOT = media
    settings.EMAIL_FILE_PATH = tmp_path / "mail"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, media):
    """Built once, in a transaction that is rolled back when the module ends; each test runs in a savepoint
    of it (pytest-django), each request in a savepoint of that."""
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=fast):
                yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# --- Filling a pattern with company A's objects -----------------------------------------------------------

ADMIN_MODEL_ROUTE = re.compile(r"^admin/(?P<app>\w+)/(?P<model>\w+)/")


def _admin_object(route: str, world: World):
    """The object of the model admin whose URL this is, or None (a URL of the admin site itself)."""
    match = ADMIN_MODEL_ROUTE.match(route)
    return world.admin_objects.get(f"{match['app']}.{match['model']}") if match else None


def fill(route: str, world: World) -> str:
    special = {
        "admin/(?P<app_label>...)/$": "/admin/tickets/",
        "admin/(?P<url>.*)$": "/admin/no-such-page/",
        "admin/r/<path:content_type_id>/<path:object_id>/": f"/admin/r/{world.ticket_content_type}/{world.ticket.pk}/",
    }
    if route in special:
        return special[route]

    def value(match) -> str:
        name = match["name"]
        if name == "number":
            return world.ticket.number
        if name == "attachment_id":
            return str(world.attachment.pk)
        if name == "uidb64":
            return world.tokens["uidb64"]
        if name == "token":
            if route.startswith("accounts/activate/"):
                return world.tokens["activate"]
            if route.startswith("accounts/settings/email/confirm/"):
                return world.tokens["email_change"]
            return world.tokens["reset"]
        if name == "pk" and route.startswith("accounts/settings/sessions/"):
            return str(world.customer_a_other_session)
        if name in ("object_id", "pk", "id") and _admin_object(route, world) is not None:
            return str(_admin_object(route, world).pk)
        raise LookupError(f"the matrix does not know what to put for <{name}> in {route!r}: teach fill()")

    return "/" + re.sub(r"<(?:\w+:)?(?P<name>\w+)>", value, route)


def placeholders(route: str, world: World) -> dict:
    prefix, last = world.ticket.number.rsplit("-", 1)
    values = {
        "number": world.ticket.number,
        "next_number": f"{prefix}-{int(last) + 1:06d}",
        "uidb64": world.tokens["uidb64"],
    }
    if _admin_object(route, world) is not None:
        values["pk"] = _admin_object(route, world).pk
    return values


# --- One request -------------------------------------------------------------------------------------


def outcome(response, path: str) -> str:
    if response.status_code in (301, 302):
        location = response["Location"]
        if location == f"/accounts/login/?next={quote(path, safe='/')}":
            return LOGIN
        if location == f"/admin/login/?next={quote(path, safe='/')}":
            return ADMIN
        if location == "/accounts/verify/":
            return VERIFY
        if location == f"/accounts/reauthenticate/?next={quote(path, safe='')}":
            return REAUTH
        return f"{response.status_code} {location}"
    return str(response.status_code)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def state_of_company_a(world: World) -> tuple:
    from accounts.models import User
    from accounts.otp_hashed.models import BackupCode
    from tickets.models import Ticket

    ticket = Ticket.objects.filter(pk=world.ticket.pk)
    return (
        Ticket.objects.filter(company_id=world.ticket.company_id).count(),
        ticket.values_list(
            "status", "priority", "partner_access", "escalated_at", "assignee_id", "last_activity_at"
        ).get(),
        world.ticket.messages.count(),
        sorted(world.ticket.ccs.values_list("email", flat=True)),
        User.objects.filter(pk=world.customer_a.pk)
        .values_list("email", "password", "is_active", "language", "company_id")
        .get(),
        TOTPDevice.objects.filter(user=world.customer_a).count(),
        BackupCode.objects.filter(device__user=world.customer_a).count(),
    )


def request(world: World, kind: str, route: str, method: str, path: str) -> tuple[str, list[str]]:
    """The outcome of one cell and what else went wrong; everything it did is rolled back."""
    from tickets.models import Ticket

    # Each kind browses from an address of its own (TEST-NET-1), so a per-IP throttle never decides a cell.
    client = Client(REMOTE_ADDR=f"192.0.2.{zlib.crc32(kind.encode()) % 254 + 1}")
    if world.sessions[kind]:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[kind]
    problems = []
    with transaction.atomic():
        try:
            if kind == "partner_no_consent":  # the customer withdrew the consent
                Ticket.objects.filter(pk=world.ticket.pk).update(partner_access=False)
            checks_writes = kind in READ_ONLY and route not in TOKEN_ROUTES
            if checks_writes and kind not in world.baselines:
                world.baselines[kind] = state_of_company_a(world)
            try:
                if method == "GET":
                    response = client.get(path)
                else:
                    data = POST_DATA.get(route, {})
                    response = client.post(path, data(world) if callable(data) else data)
            except Exception as error:  # a 500 is a cell's outcome, reported with the others
                return f"500 ({type(error).__name__}: {error})", problems
            content = body(response)
            leaked = [secret for secret in NEVER_IN_BODY[kind] if secret in content]
            if leaked:
                problems.append(f"the body holds {leaked}")
            shown, readers = SHOWS.get((route, method), (b"", ()))
            if response.status_code == 200 and kind in readers and shown not in content:
                problems.append(f"a 200 without {shown[:40]!r}")
            if checks_writes and state_of_company_a(world) != world.baselines[kind]:
                problems.append("company A's data changed")
            return outcome(response, path), problems
        finally:
            transaction.set_rollback(True)


# --- The tests ---------------------------------------------------------------------------------------


def test_every_served_url_has_an_entry_and_every_entry_is_served():
    served = served_routes()
    missing = [route for route in served if route not in EXPECTED]
    assert not missing, (
        f"URL patterns nobody decided the access to: {missing}. Add each to PORTAL or BACK_OFFICE in this file "
        "(who gets what, for GET and POST), with the objects of company A its URL needs."
    )
    assert not set(EXPECTED) - set(served), "entries for URLs the project no longer serves"
    assert len(served) == len(set(served))


def test_every_model_admin_has_rights_in_the_table():
    assert registered_admin_models() == set(ADMIN_MODELS)


def test_every_row_has_a_cell_per_kind_and_method():
    for route, row in EXPECTED.items():
        assert len(row) == len(METHODS), route
        assert all(len(cells) == len(KINDS) for cells in row), route


@pytest.mark.django_db
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("route", list(EXPECTED))
def test_access(world, route, method):
    path = fill(route, world)
    assert _key(resolve(path).route) == route, f"{path} does not reach {route!r}"
    expected = EXPECTED[route][METHODS.index(method)]
    wrong = []
    for kind, want in zip(KINDS, expected, strict=True):
        want = want.format(**placeholders(route, world))
        got, problems = request(world, kind, route, method, path)
        if got != want or problems:
            wrong.append(f"{kind}: expected {want}, got {got}" + "".join(f"; {p}" for p in problems))
    assert not wrong, f"{method} {path}\n" + "\n".join(wrong)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["engineer_no_otp", "superuser_no_otp"])
def test_the_back_office_needs_the_second_factor_of_staff_too(world, kind):
    """Staff who passed only the password get in the back office exactly what an anonymous visitor gets."""
    wrong = []
    for route in (route for route in EXPECTED if route.startswith("admin/")):
        path = fill(route, world)
        for method, expected in zip(METHODS, EXPECTED[route], strict=True):
            want = expected[KINDS.index("anonymous")].format(**placeholders(route, world))
            got, problems = request(world, kind, route, method, path)
            if got != want or problems:
                wrong.append(f"{method} {path}: expected {want}, got {got}" + "".join(f"; {p}" for p in problems))
    assert not wrong, "\n".join(wrong)


@pytest.mark.django_db
def test_staff_who_is_also_a_company_member_gets_exactly_what_an_engineer_gets(world):
    """A company set on an engineer by hand gives nothing of the portal's company access (issue 14, item 7):
    every route, every method, the engineer's outcome."""
    wrong = []
    for route, row in EXPECTED.items():
        path = fill(route, world)
        for method, expected in zip(METHODS, row, strict=True):
            want = expected[KINDS.index("engineer")].format(**placeholders(route, world))
            got, problems = request(world, "engineer_in_company", route, method, path)
            if got != want or problems:
                wrong.append(f"{method} {path}: expected {want}, got {got}" + "".join(f"; {p}" for p in problems))
    assert len(EXPECTED) > 50
    assert not wrong, "\n".join(wrong)


@pytest.mark.django_db
def test_the_world_has_an_object_of_every_admin_model(world):
    assert set(world.admin_objects) == registered_admin_models()
    assert all(obj is not None and obj.pk for obj in world.admin_objects.values())
