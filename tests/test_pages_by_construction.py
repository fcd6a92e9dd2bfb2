"""Issue 20: a portal page is always the page its data draws now, for whoever reads it, and never shows what
only HEZO's engineers may see.

Nothing here is a list someone has to keep up to date:
- the pages' models are the tables their SQL actually reads (captured while each reader loads each page);
- every concrete field of those models (`_meta.concrete_fields`) is changed in turn, on every row;
- every public ticket service (`tickets.services.__all__`, `operations.services`) is called;
and after each change every affected page is loaded twice, once with everything the processes remember
(fragments, Django's cache, functools caches) still warm and once after all of it was cleared: the two must
be identical, CSRF tokens aside. A new column, page or service is covered without editing this file; a field
type or service parameter it has not met makes it fail and say what to teach it.

The readers are the standard cast — customer, colleague, partner with consent (and without, on a ticket not
shared), another company's customer — and an engineer who was given the customer's company anyway (admin
refuses that; old data or a hand-made change may not)."""

import re
import sys
import threading
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth import SESSION_KEY
from django.core.cache import caches
from django.db import IntegrityError, connection, models, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import UserFactory
from conftest import skip_or_fail
from contracts.tests.factories import make_contract
from core.fragments import fragments_clear
from tickets import services as ticket_services
from tickets.models import Attachment, Message, Ticket
from tickets.tests.factories import make_ticket, upload

from .ticket_services import call_somehow, candidates, ticket_services_all

NOTE = "NOTATKA-WEWNETRZNA-7f3a"  # text of internal notes, phone logs and their files: never in the portal
NOW = datetime.fromisoformat("2026-12-03T10:17:00+01:00")
CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')
TABLE = re.compile(r'(?:FROM|JOIN)\s+"?([a-z_0-9]+)"?', re.IGNORECASE)


# --- the scenario ------------------------------------------------------------------------------------


@pytest.fixture
def scenario(cast, contract, login_with_otp, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    with time_machine.travel(NOW, tick=False):
        customer, engineer = cast["customer"], cast["engineer"]
        shared = make_ticket(
            author=customer,
            contract=contract,
            title="Łącze VPN zrywa się co godzinę",
            priority="critical",
            partner_access=True,
            cc_emails=["szef@kowalski.example"],
            attachments=[upload("log-vpn.txt")],
        )
        private = make_ticket(author=cast["colleague"], contract=contract, title="Licencja FortiGuard wygasa")
        make_ticket(author=cast["other"], contract=make_contract(customer=cast["other"].company, number="B200002"))
        for ticket in (shared, private):
            ticket_services.ticket_engineer_reply(
                ticket=ticket, engineer=engineer, body="Proszę o plik konfiguracji.", attachments=[upload()]
            )
            ticket_services.ticket_engineer_reply(
                ticket=ticket,
                engineer=engineer,
                body=f"{NOTE}: klient ma stary firmware",
                internal=True,
                attachments=[upload(f"{NOTE}.txt", NOTE.encode())],
            )
            ticket_services.ticket_phone_contact_log(ticket=ticket, engineer=engineer, body=f"{NOTE}: rozmowa")
        ticket_services.ticket_reply(ticket=shared, author=customer, body="W załączniku.", attachments=[upload()])
        ticket_services.partner_read_record(ticket_id=shared.pk, user=cast["partner"])
        # An engineer who was given the customer's company by hand (User.clean refuses it in admin).
        staff = UserFactory(email="serwis@myhezo.example", is_staff=True)
        User.objects.filter(pk=staff.pk).update(company=customer.company, role="customer")
        staff.refresh_from_db()
        readers = {
            "customer": customer,
            "colleague": cast["colleague"],
            "partner": cast["partner"],
            "other company": cast["other"],
            "staff with a company": staff,
        }
        clients = {name: login_with_otp(user, with_client=Client()) for name, user in readers.items()}
    pages = [
        "/dashboard/",
        "/contracts/",
        "/tickets/",
        "/tickets/?q=vpn&status=open",
        f"/tickets/{shared.number}/",
        f"/tickets/{private.number}/",  # not shared: the partner must get a 404
        *(
            reverse("tickets:attachment", args=[a.message.ticket.number, a.pk])
            for a in Attachment.objects.select_related("message__ticket").order_by("pk")
        ),
    ]
    return {"readers": readers, "clients": clients, "pages": pages, "shared": shared, "private": private, **cast}


# The project's own apps (those whose folder is in the repository), found from the app registry.
PROJECT_APPS = {c.name for c in apps.get_app_configs() if Path(c.path).parent == Path(__file__).resolve().parent.parent}


def _forget_everything() -> None:
    """Everything a process remembers between requests: fragments, Django's caches, functools caches."""
    fragments_clear()
    for alias in caches:
        caches[alias].clear()
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] not in PROJECT_APPS:
            continue
        for value in list(vars(module).values()):
            if callable(getattr(value, "cache_clear", None)) and getattr(value, "__module__", None) == name:
                value.cache_clear()


def _body(response) -> tuple[int, str]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    text = content.decode(errors="replace")
    return response.status_code, CSRF.sub(r"\1…\2", text)


def _relogin(scenario, login_with_otp) -> None:
    """A change of a user's password, generation or device ends their session: log in again after it."""
    for name, client in scenario["clients"].items():
        user = User.objects.get(pk=scenario["readers"][name].pk)
        if client.session.get(SESSION_KEY) != str(user.pk):
            login_with_otp(user, with_client=client)


def _tables(client: Client, url: str) -> set[str]:
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return {table.lower() for query in captured for table in TABLE.findall(query["sql"])}


def _check(scenario, pairs, what: str) -> None:
    """Each (reader, page): the page served with warm caches equals the page drawn after forgetting."""
    served = {(name, url): _body(scenario["clients"][name].get(url)) for name, url in pairs}
    _forget_everything()
    for (name, url), (status, text) in served.items():
        drawn_status, drawn_text = _body(scenario["clients"][name].get(url))
        assert (status, text) == (drawn_status, drawn_text), f"after {what}: {name} was served a stale {url}"
        assert NOTE not in text, f"after {what}: {name} saw an internal note or phone log on {url}"


# --- changing any field ----------------------------------------------------------------------------


class _Skip(Exception):
    pass


def _changed(field: models.Field, value):
    """Another valid value for `field` than `value`."""
    if field.choices:
        others = [code for code, _label in field.flatchoices if code not in (value, "", None)]
        if not others:
            raise _Skip
        return others[0]
    if isinstance(field, models.BooleanField):
        return not value
    if isinstance(field, models.DateTimeField):
        return (value or NOW) + timedelta(days=1, minutes=7)
    if isinstance(field, models.DateField):
        return (value or NOW.date()) + timedelta(days=1)
    if isinstance(field, models.DurationField):
        return (value or timedelta()) + timedelta(minutes=5)
    if isinstance(field, (models.IntegerField, models.DecimalField, models.FloatField)):
        return (value or 0) + 1
    if isinstance(field, models.UUIDField):
        return uuid.uuid4()
    if isinstance(field, models.GenericIPAddressField):
        return "192.0.2.78" if value == "192.0.2.77" else "192.0.2.77"
    if isinstance(field, models.JSONField):
        return {"changed": True} if value != {"changed": True} else {"changed": False}
    if isinstance(field, models.BinaryField):
        return bytes(value or b"") + b"x"
    if isinstance(field, (models.CharField, models.TextField, models.FileField)):
        text = str(value or "")
        letter = "Ą" if text.endswith("Ż") else "Ż"
        limit = field.max_length or len(text) + 1
        return (text + letter) if len(text) < limit else text[: limit - 1] + letter
    pytest.fail(f"teach _changed() how to change a {type(field).__name__} ({field.model.__name__}.{field.name})")


def _mutable_fields(model: type[models.Model]):
    for field in model._meta.concrete_fields:
        if field.primary_key or field.is_relation or isinstance(field, models.GeneratedField):
            continue
        yield field


@pytest.mark.django_db
def test_every_field_a_page_reads_when_changed_is_shown_as_drawn(scenario, login_with_otp):
    with time_machine.travel(NOW, tick=False):
        models_by_table = {model._meta.db_table.lower(): model for model in apps.get_models()}
        reads: dict[type[models.Model], list[tuple[str, str]]] = {}
        for name, client in scenario["clients"].items():
            for url in scenario["pages"]:
                for table in _tables(client, url):
                    if table in models_by_table:
                        reads.setdefault(models_by_table[table], []).append((name, url))
        # The pages read at least these; the rest are found, not listed.
        assert {Ticket, Message, Attachment, User} <= set(reads)
        _check(scenario, [(n, u) for n in scenario["clients"] for u in scenario["pages"]], "nothing")
        changed = 0
        for model in sorted(reads, key=lambda m: m._meta.label):
            pairs = sorted(set(reads[model]))
            for field in _mutable_fields(model):
                before = list(model._default_manager.values_list("pk", field.attname))
                try:
                    with transaction.atomic():
                        for pk, value in before:
                            model._default_manager.filter(pk=pk).update(**{field.attname: _changed(field, value)})
                except (_Skip, IntegrityError):
                    continue
                _check(scenario, pairs, f"changing {model._meta.label}.{field.name}")
                changed += 1
                for pk, value in before:
                    model._default_manager.filter(pk=pk).update(**{field.attname: value})
                _relogin(scenario, login_with_otp)
        assert changed >= 50, changed


# --- every ticket service --------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_ticket_service_action_leaves_every_page_as_drawn(scenario, login_with_otp):
    pairs = [(name, url) for name in scenario["clients"] for url in scenario["pages"]]
    services = ticket_services_all()
    assert any(name.endswith("ticket_engineer_reply") for name, _ in services)
    with time_machine.travel(NOW, tick=False):
        _check(scenario, pairs, "nothing")
        for name, service in services:
            # Each service meets an open ticket and, if it refuses every call there (reopening), a closed one.
            for state in ("open", "closed"):
                ticket = Ticket.objects.get(pk=scenario["shared"].pk)
                if ticket.is_open != (state == "open"):
                    move = ticket_services.ticket_reopen if state == "open" else ticket_services.ticket_close
                    move(ticket=ticket, actor=scenario["customer"])
                if call_somehow(service, candidates(scenario, name), scenario, name):
                    break
            else:
                pytest.fail(f"{name} refused every way the test called it: teach tests/ticket_services.py candidates()")
            # Pages that were lists or files may have gained rows: walk the ones there are now too.
            attachments = [
                reverse("tickets:attachment", args=[a.message.ticket.number, a.pk])
                for a in Attachment.objects.select_related("message__ticket").order_by("pk")
            ]
            _relogin(scenario, login_with_otp)
            _check(scenario, pairs + [(n, u) for n in scenario["clients"] for u in attachments], name)


# --- concurrency on PostgreSQL ---------------------------------------------------------------------


def _race(change, load, *, rounds: int) -> None:
    """`change(i)` for i in range(rounds) in one thread while `load()` runs in another until it is done."""
    done = threading.Event()
    errors: list[BaseException] = []

    def changing():
        try:
            for i in range(rounds):
                change(i)
        except BaseException as error:
            errors.append(error)
        finally:
            done.set()
            connection.close()

    def loading():
        try:
            while not done.is_set():
                load()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=changing), threading.Thread(target=loading)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors


def _assert_ok(response) -> None:
    assert response.status_code == 200


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        skip_or_fail("needs PostgreSQL (DATABASE_URL), as .ci/run sets it")


@pytest.mark.django_db(transaction=True)
def test_consent_toggled_while_the_partner_loads_the_list_leaves_no_stale_list(postgresql, scenario):
    partner = scenario["clients"]["partner"]
    shared, customer = scenario["shared"], scenario["customer"]

    def toggle(i):
        ticket_services.ticket_partner_access_set(
            ticket=Ticket.objects.get(pk=shared.pk), actor=customer, allowed=i % 2 == 1
        )

    seen = []

    def load():
        response = partner.get("/tickets/")
        assert response.status_code == 200
        seen.append(shared.number in response.content.decode())

    with time_machine.travel(NOW):  # the sessions were made at NOW
        _race(toggle, load, rounds=40)
        _check_withdrawn(toggle, partner, shared, seen)


def _check_withdrawn(toggle, partner, shared, seen) -> None:
    assert seen, "the list was never loaded during the race"
    toggle(0)  # the race ended with consent given (i = 39): withdraw it
    served = _body(partner.get("/tickets/"))
    assert served[0] == 200 and shared.number not in served[1]
    assert partner.get(f"/tickets/{shared.number}/").status_code == 404
    _forget_everything()
    assert _body(partner.get("/tickets/")) == served


@pytest.mark.django_db(transaction=True)
def test_cc_added_and_removed_while_the_page_loads_leaves_no_stale_page(postgresql, scenario):
    customer_client = scenario["clients"]["customer"]
    shared, customer = scenario["shared"], scenario["customer"]
    url = f"/tickets/{shared.number}/"

    def add_remove(i):
        ticket = Ticket.objects.get(pk=shared.pk)
        ticket_services.ticket_cc_add(ticket=ticket, actor=customer, email="wyscig@kowalski.example")
        ticket_services.ticket_cc_remove(ticket=ticket, actor=customer, email="wyscig@kowalski.example")

    with time_machine.travel(NOW):  # the sessions were made at NOW
        _race(add_remove, lambda: _assert_ok(customer_client.get(url)), rounds=30)
        served = _body(customer_client.get(url))
        # The CC list no longer has the address; the timeline says, newest first, that it was removed.
        cc_list = re.sub(r"<[^>]+>", "", re.search(r'<ul class="cc-list">(.*?)</ul>', served[1], re.S)[1])
        timeline = re.findall(r'<li class="timeline-item".*?</li>', served[1], re.S)
        assert served[0] == 200 and "wyscig" not in cc_list
        assert "wyscig@kowalski.example usunięty z kopii" in timeline[0]
        _forget_everything()
        assert _body(customer_client.get(url)) == served
