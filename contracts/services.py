from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from core.validation import full_clean_held

from .models import Company, Contract, ContractLine, ServicePlan
from .nip import nip_parse
from .notation import contract_number_parse, serial_canonical
from .signals import contract_reseller_changed


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@transaction.atomic
def company_upsert(*, nip: str, name: str) -> tuple[Company, Outcome]:
    """Create the company with this NIP (any accepted notation) or bring its name up to date."""
    canonical = nip_parse(nip)
    name = " ".join((name or "").split())
    company = Company.objects.select_for_update().filter(nip=canonical).first()
    if company is not None and company.name == name:
        return company, Outcome.UNCHANGED
    outcome = Outcome.CREATED if company is None else Outcome.UPDATED
    company = company or Company(nip=canonical)
    company.name = name
    company.full_clean()
    company.save()
    return company, outcome


def _service_index_next(serial: str) -> int:
    # One upsert that takes the row lock: concurrent additions of one serial queue for the registry and never
    # share an index. PostgreSQL and SQLite (3.35+) both speak ON CONFLICT … RETURNING.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO contracts_serialregistry (serial, last_index) VALUES (%s, 1) "
            "ON CONFLICT (serial) DO UPDATE SET last_index = contracts_serialregistry.last_index + 1 "
            "RETURNING last_index",
            [serial],
        )
        (last,) = cursor.fetchone()
    return last


@transaction.atomic
def contract_line_add(*, contract: Contract, serial_raw: str, model: str = "") -> ContractLine:
    """Add a line, giving it the next service index of its serial (never reused, safe under concurrency)."""
    serial = serial_canonical(serial_raw)
    if not serial:
        raise ValidationError({"serial_raw": _("Enter the device's serial number.")})
    line = ContractLine(
        contract=contract,
        serial_raw=serial_raw.strip(),
        serial=serial,
        service_index=_service_index_next(serial),
        model=model.strip(),
    )
    full_clean_held(line)
    line.save()
    return line


@transaction.atomic
def contract_save(*, contract: Contract, actor: AbstractBaseUser | None = None, actor_name: str = "") -> Contract:
    """Save a new or edited contract (validated): the one way a contract row is written, by admin and by the
    import. When an existing contract's reseller changes, `contracts.signals.contract_reseller_changed` is sent
    inside this transaction: the partner-access consents given to the former reseller end with the change
    (SPEC §4). `actor` is who changed it (None for an import, named by `actor_name`)."""
    old_reseller_id = None
    existed = contract.pk is not None
    if existed:
        # The stored reseller, read under the row's lock: concurrent changes of one contract queue up.
        stored = Contract.objects.select_for_update().filter(pk=contract.pk).values_list("reseller_id", flat=True)
        old_reseller_id = stored.first()
    full_clean_held(contract)
    contract.save()
    if existed and old_reseller_id != contract.reseller_id:
        contract_reseller_changed.send(
            sender=Contract, contract=contract, old_reseller_id=old_reseller_id, actor=actor, actor_name=actor_name
        )
    return contract


@dataclass(frozen=True)
class LineData:
    serial: str
    model: str


@transaction.atomic
def contract_upsert(
    *,
    number: str,
    customer_nip: str,
    customer_name: str,
    reseller_nip: str | None,
    reseller_name: str | None,
    plan_name: str,
    starts_on: date,
    ends_on: date,
    lines: list[LineData],
    actor_name: str = "",
) -> tuple[Contract, Outcome]:
    """Create or update a contract with its companies and lines, as the legacy import delivers it.

    Running it again with the same data changes nothing. Lines are matched by serial and order (the k-th
    line with a serial is the k-th existing one); new ones are added, and existing ones are never removed
    because tickets may refer to them. A changed reseller ends the consents given to the former one
    (`contract_save`); `actor_name` names who made the change in the tickets' history (the importer).
    """
    number = contract_number_parse(number)
    plan = ServicePlan.objects.filter(name=plan_name).first()
    if plan is None:
        raise ValidationError(_("Unknown service plan: %(plan)s.") % {"plan": plan_name})
    customer, customer_outcome = company_upsert(nip=customer_nip, name=customer_name)
    reseller, reseller_outcome = (None, Outcome.UNCHANGED)
    if reseller_nip:
        reseller, reseller_outcome = company_upsert(nip=reseller_nip, name=reseller_name or "")
    changed = customer_outcome != Outcome.UNCHANGED or reseller_outcome != Outcome.UNCHANGED

    contract = Contract.objects.select_for_update().filter(number=number).first()
    outcome = Outcome.CREATED if contract is None else Outcome.UNCHANGED
    values = {
        "customer_id": customer.pk,
        "reseller_id": reseller.pk if reseller else None,
        "plan_id": plan.pk,
        "starts_on": starts_on,
        "ends_on": ends_on,
    }
    if contract is None or any(getattr(contract, name) != value for name, value in values.items()):
        contract = contract or Contract(number=number)
        # The objects, not their ids: contract_save does not look up again what is held here.
        contract.customer, contract.reseller, contract.plan = customer, reseller, plan
        contract.starts_on, contract.ends_on = starts_on, ends_on
        contract_save(contract=contract, actor_name=actor_name)
        changed = True

    existing: dict[str, list[ContractLine]] = defaultdict(list)
    if contract.pk:
        for line in contract.lines.order_by("pk"):
            existing[line.serial].append(line)
    seen: dict[str, int] = defaultdict(int)
    for data in lines:
        serial = serial_canonical(data.serial)
        k = seen[serial]
        seen[serial] += 1
        if k < len(existing[serial]):
            line = existing[serial][k]
            if line.model != data.model.strip():
                line.model = data.model.strip()
                line.full_clean()
                line.save(update_fields=["model"])
                changed = True
        else:
            contract_line_add(contract=contract, serial_raw=data.serial, model=data.model)
            changed = True

    if outcome is Outcome.UNCHANGED and changed:
        outcome = Outcome.UPDATED
    return contract, outcome
