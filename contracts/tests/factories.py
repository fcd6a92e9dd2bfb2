from datetime import date

import factory

from contracts.models import Company

NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)


def valid_nip(n: int) -> str:
    """The n-th valid NIP of a fixed series: nine digits and the check digit that makes them valid."""
    while True:
        base = f"{100000000 + n * 7919:09d}"[-9:]
        check = sum(w * int(d) for w, d in zip(NIP_WEIGHTS, base, strict=True)) % 11
        if check != 10:  # 10 is no digit: this base has no valid NIP
            return base + str(check)
        n += 1_000_003


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company
        django_get_or_create = ("nip",)

    nip = factory.Sequence(valid_nip)
    name = factory.Sequence(lambda n: f"Firma {n} Sp. z o.o.")


def make_contract(
    *,
    customer: Company,
    number: str = "A100001",
    plan_name: str = "HEZO 360",
    serials: tuple[str, ...] = ("FG100FTK20001234",),
    reseller: Company | None = None,
    starts_on: date = date(2025, 3, 1),
    ends_on: date = date(2099, 12, 31),
):
    """A contract with lines, built through the service so lines get their service index."""
    from contracts.services import LineData, contract_upsert

    contract, _outcome = contract_upsert(
        number=number,
        customer_nip=customer.nip,
        customer_name=customer.name,
        reseller_nip=reseller.nip if reseller else None,
        reseller_name=reseller.name if reseller else None,
        plan_name=plan_name,
        starts_on=starts_on,
        ends_on=ends_on,
        lines=[LineData(serial=serial, model=f"Model of {serial}") for serial in serials],
    )
    return contract
