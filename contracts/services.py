from django.db import transaction

from .models import Company
from .nip import nip_parse


@transaction.atomic
def company_upsert(*, nip: str, name: str) -> Company:
    """Create the company with this NIP (any accepted notation) or update its name."""
    canonical = nip_parse(nip)
    company = Company.objects.select_for_update().filter(nip=canonical).first() or Company(nip=canonical)
    company.name = name.strip()
    company.full_clean()
    company.save()
    return company
