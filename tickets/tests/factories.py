from django.core.files.uploadedfile import SimpleUploadedFile

from contracts.models import ContractLine
from tickets import services

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


def upload(name: str = "fortigate.conf", content: bytes = b"config system global\n    set hostname FW1\nend\n"):
    return SimpleUploadedFile(name, content)


def make_ticket(*, author, line: ContractLine | None = None, contract=None, **fields):
    """A ticket opened through the service, as a customer would, on the first line of the contract."""
    line = line or contract.lines.order_by("pk").first()
    defaults = {
        "priority": "non_critical",
        "title": "VPN nie zestawia się po aktualizacji",
        "description": "Po aktualizacji firmware tunel IPsec do oddziału nie wstaje.",
    }
    return services.ticket_create(line=line, author=author, **{**defaults, **fields})


class Outbox:
    """The e-mails written to the outbox (in the same transaction as the change), newest last. `mark()`
    forgets what is there so far."""

    def __init__(self):
        self._after = 0

    def mark(self) -> None:
        from core.models import OutboxEmail

        self._after = OutboxEmail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def all(self):
        from core.models import OutboxEmail

        return list(OutboxEmail.objects.filter(pk__gt=self._after).order_by("pk"))

    def to(self, address: str):
        return [email for email in self.all() if address in email.to]

    def recipients(self) -> list[str]:
        return sorted(address for email in self.all() for address in email.to)
