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
