import pytest
from django.core.exceptions import ValidationError

from contracts.models import Company
from contracts.services import company_upsert

pytestmark = pytest.mark.django_db


def test_company_upsert_creates_then_updates_by_nip_in_any_notation():
    created = company_upsert(nip="PL5260250274", name="Kowalski Systemy")
    updated = company_upsert(nip="526-025-02-74", name="Kowalski Systemy Sp. z o.o. ")
    assert created.pk == updated.pk
    assert Company.objects.get().name == "Kowalski Systemy Sp. z o.o."
    assert updated.nip_display == "PL5260250274"


def test_company_upsert_refuses_invalid_nip_and_writes_nothing():
    with pytest.raises(ValidationError):
        company_upsert(nip="1234567890", name="Bad NIP Ltd")
    assert not Company.objects.exists()


def test_company_model_refuses_non_canonical_nip():
    with pytest.raises(ValidationError) as excinfo:
        Company(nip="PL5260250274", name="X").full_clean()
    assert "nip" in excinfo.value.message_dict
