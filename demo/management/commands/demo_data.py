"""Demo data for the embedded default (`make run`). Idempotent: running it again resets the same rows."""

from base64 import b32decode

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Language, Role, User
from accounts.services import backup_codes_set
from contracts.models import ContractLine
from contracts.services import LineData, company_upsert, contract_upsert
from tickets.models import Ticket
from tickets.services import canned_reply_upsert, ticket_create, ticket_engineer_reply

DEMO_PASSWORD = "demo-hezo-portal"  # noqa: S105 - public by design; loads only with DEBUG
DEMO_COMPANY = {"nip": "7771234509", "name": "Demo Systemy Sp. z o.o."}
DEMO_RESELLER = {"nip": "5550001119", "name": "Demo Partner Sp. z o.o."}
DEMO_CONTRACTS = [
    {
        "number": "D900001",
        "plan_name": "HEZO+",
        "lines": [
            LineData(serial="A30-DEMO-0001", model="Yealink MeetingBar A30 (Teams)"),
            LineData(serial="A20-DEMO-0002", model="Yealink MeetingBar A20 (Zoom)"),
        ],
    },
    {
        "number": "D900002",
        "plan_name": "HEZO 360",
        "lines": [LineData(serial="FG100FDEMO000001", model="FortiGate 100F")],
    },
]
# Public demo second factor: add the secret to an authenticator app, or log in with the backup code
# (each run of this command issues it again).
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 - public demo, as above
# Two canned replies for the desk (SPEC §7), with the placeholders an engineer uses most.
DEMO_CANNED_REPLIES = [
    {
        "title": "Prośba o logi i konfigurację",
        "text_pl": (
            "Dzień dobry {customer},\n\ndziękujemy za zgłoszenie {ticket}. Aby zdiagnozować problem z urządzeniem "
            "{device} (umowa {contract}), prosimy o przesłanie w odpowiedzi na tę wiadomość:\n"
            "- pliku konfiguracji (System > Configuration > Backup),\n"
            "- wyniku poleceń `get system status` i `diagnose debug crashlog read`.\n\nPozdrawiamy,\nzespół HEZO"
        ),
        "text_en": (
            "Hello {customer},\n\nthank you for ticket {ticket}. To diagnose the problem with device {device} "
            "(contract {contract}), please reply to this message with:\n"
            "- the configuration file (System > Configuration > Backup),\n"
            "- the output of `get system status` and `diagnose debug crashlog read`.\n\nKind regards,\nthe HEZO team"
        ),
        "ordering": 10,
    },
    {
        "title": "Zalecana aktualizacja firmware",
        "text_pl": (
            "Dzień dobry {customer},\n\nproblem opisany w zgłoszeniu {ticket} jest usuwany w nowszej wersji "
            "firmware. Zalecamy aktualizację urządzenia {device} w oknie serwisowym, po wykonaniu kopii "
            "konfiguracji. Prosimy o informację, czy po aktualizacji problem ustąpił.\n\nPozdrawiamy,\nzespół HEZO"
        ),
        "text_en": (
            "Hello {customer},\n\nthe problem described in ticket {ticket} is fixed in a newer firmware "
            "release. We recommend upgrading device {device} in a maintenance window, after backing up its "
            "configuration. Please let us know whether the problem is gone after the upgrade.\n\n"
            "Kind regards,\nthe HEZO team"
        ),
        "ordering": 20,
    },
]
DEMO_USERS = [
    {
        "email": "klient@example.com",
        "first_name": "Anna",
        "last_name": "Klientka",
        "phone": "600100200",
        "is_staff": False,
        "is_superuser": False,
        "role": "customer",
        "backup_code": "demo1111",
    },
    {
        "email": "inzynier@example.com",
        "first_name": "Jan",
        "last_name": "Inżynier",
        "phone": "600300400",
        "is_staff": True,
        "is_superuser": True,
        "role": "engineer (admin)",
        "backup_code": "demo2222",
    },
]


def _demo_second_factor(user: User, backup_code: str) -> None:
    TOTPDevice.objects.update_or_create(
        user=user, name="default", defaults={"key": b32decode(DEMO_TOTP_SECRET).hex(), "confirmed": True}
    )
    backup_codes_set(user=user, codes=[backup_code])  # stored hashed, like every backup code


class Command(BaseCommand):
    help = "Load demo data for a local portal and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Load even when DEBUG is off (demo passwords are public: never on a real portal).",
        )

    @transaction.atomic
    def handle(self, *args, allow_production=False, **options):
        today = timezone.localdate()
        if not settings.DEBUG and not allow_production:
            raise CommandError("Demo data has public passwords; it loads only with DJANGO_DEBUG=1.")
        company, _outcome = company_upsert(**DEMO_COMPANY)
        for contract in DEMO_CONTRACTS:
            contract_upsert(
                customer_nip=company.nip,
                customer_name=company.name,
                reseller_nip=DEMO_RESELLER["nip"],
                reseller_name=DEMO_RESELLER["name"],
                starts_on=today.replace(month=1, day=1),
                ends_on=today.replace(year=today.year + 2, month=12, day=31),
                **contract,
            )
        for data in DEMO_USERS:
            data = dict(data)
            role = data.pop("role")
            backup_code = data.pop("backup_code")
            user = User.objects.filter(email=data["email"]).first() or User(email=data["email"])
            for field, value in data.items():
                setattr(user, field, value)
            user.company_name = company.name
            user.nip = company.nip
            user.language = Language.POLISH
            user.is_active = True
            user.set_password(DEMO_PASSWORD)
            if not user.is_staff:
                user.company, user.role = company, Role.CUSTOMER
                user.verified_at = user.verified_at or timezone.now()
            user.full_clean()
            user.save()
            _demo_second_factor(user, backup_code)
            self.stdout.write(f"  {role:<18} {user.email:<24} password: {DEMO_PASSWORD}  backup code: {backup_code}")
        self._demo_ticket(company)
        for canned in DEMO_CANNED_REPLIES:
            canned_reply_upsert(**canned)
        self.stdout.write(f"  TOTP secret of both (for an authenticator app): {DEMO_TOTP_SECRET}")
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))

    def _demo_ticket(self, company) -> None:
        """One open ticket with an engineer's answer, so the ticket pages and the desk have something to show."""
        if Ticket.objects.filter(company=company).exists():
            return
        customer = User.objects.get(email=DEMO_USERS[0]["email"])
        engineer = User.objects.filter(is_staff=True).order_by("pk").first()
        line = ContractLine.objects.filter(contract__customer=company).order_by("pk").first()
        ticket = ticket_create(
            line=line,
            author=customer,
            priority="non_critical",
            title="Tunel IPsec do oddziału rozłącza się co kilka godzin",
            description="Od wczoraj tunel do oddziału w Krakowie zrywa się mniej więcej co 3 godziny.",
            cc_emails=["it@demo-firma.example"],
        )
        ticket_engineer_reply(
            ticket=ticket,
            engineer=engineer,
            body="Dzień dobry, proszę przesłać wynik `diagnose vpn tunnel list` z obu stron.",
        )
