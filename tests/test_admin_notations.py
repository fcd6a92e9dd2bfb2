"""Every admin search and form is as tolerant as the portal (SPEC §2, §7): NIPs with PL, spaces or dashes,
contract numbers in any case, serials in (H)/(Hn) notation. The cases are found in the admin registry, so a
new admin page that searches or edits one of these values is covered without editing this file."""

import pytest
from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.core.exceptions import FieldDoesNotExist
from django.test import RequestFactory

from contracts.admin import NotationSearchMixin
from contracts.models import Contract

NIP_TYPED, NIP = "PL 951-235-98-49", "9512359849"
CONTRACT_TYPED, CONTRACT = "c300010", "C300010"


def _notation_kind(model, name: str) -> str | None:
    """Which of the portal's notations the model field `name` holds, if any."""
    if name in {"nip"}:
        return "nip"
    if name in {"serial"}:
        return "serial"
    if model is Contract and name == "number":
        return "contract"
    return None


def _searched_notations(model_admin) -> set[str]:
    found = set()
    for lookup in model_admin.search_fields:
        path = lookup.lstrip("^=@")
        try:
            field = get_fields_from_path(model_admin.model, path)[-1]
        except (FieldDoesNotExist, admin.utils.NotRelationField):
            continue
        kind = _notation_kind(field.model, field.name)
        if kind:
            found.add(kind)
    return found


SEARCHING = [
    pytest.param(model_admin, id=model._meta.label)
    for model, model_admin in admin.site._registry.items()
    if _searched_notations(model_admin)
]


def test_the_registry_has_searches_over_notations():
    # The generated cases below are not empty by accident.
    labels = {param.id for param in SEARCHING}
    assert {"tickets.Ticket", "contracts.Company", "contracts.Contract", "accounts.User"} <= labels


@pytest.mark.parametrize("model_admin", SEARCHING)
def test_every_search_over_a_nip_serial_or_contract_reads_the_portals_notations(model_admin):
    assert isinstance(model_admin, NotationSearchMixin), (
        f"{type(model_admin).__name__} searches {sorted(_searched_notations(model_admin))}: "
        "mix in contracts.admin.NotationSearchMixin"
    )


def _edited_fields():
    from accounts.models import User

    request = RequestFactory().get("/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)  # sees every field of every form
    for model, model_admin in admin.site._registry.items():
        # The add form and the change form of an existing object (some admins give them different fields).
        forms = [
            ("add", model_admin.get_form(request, None, change=False)),
            ("change", model_admin.get_form(request, model(), change=True)),
        ]
        for inline in model_admin.inlines:
            inline_admin = inline(model, admin.site)
            forms.append((inline.model._meta.label, inline_admin.get_formset(request, None).form))
        for where, form_class in forms:
            form_model = form_class._meta.model
            for name in form_class.base_fields:
                kind = _notation_kind(form_model, name)
                if kind in {"nip", "contract"}:
                    yield pytest.param(form_class, name, kind, id=f"{model._meta.label}-{where}-{name}")


EDITED = list(_edited_fields())


def test_the_registry_has_forms_over_notations():
    ids = {param.id for param in EDITED}
    assert {"contracts.Company-add-nip", "contracts.Contract-add-number", "accounts.User-change-nip"} <= ids


@pytest.mark.django_db
@pytest.mark.parametrize(("form_class", "name", "kind"), EDITED)
def test_every_admin_form_takes_a_nip_or_contract_number_as_people_type_it(form_class, name, kind):
    typed, stored = (NIP_TYPED, NIP) if kind == "nip" else (CONTRACT_TYPED, CONTRACT)
    form = form_class(data={name: typed})
    form.is_valid()
    assert name not in form.errors, form.errors[name]
    assert form.cleaned_data[name] == stored
