"""A synthetic export in the legacy format, any size, for the benchmark and the kill test. Deterministic
for a seed; Polish text with markup and long lines, as people type it."""

import json
import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

WARSAW = ZoneInfo("Europe/Warsaw")
NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)
PARAGRAPHS = [
    "Dzień dobry, po aktualizacji firmware do wersji 7.4.3 tunel IPsec do oddziału w Krakowie zrywa się co kilka "
    "godzin. W logach widać komunikat o renegocjacji fazy 2 i brak odpowiedzi od drugiej strony.",
    "Proszę o przesłanie wyniku poleceń diagnose vpn ike log-filter oraz diagnose debug application ike -1 z obu "
    "stron tunelu, najlepiej w chwili zerwania połączenia. Zażółć gęślą jaźń — ŻÓŁTA ŁÓDŹ.",
    'W załączeniu konfiguracja: config vpn ipsec phase1-interface / edit "HQ-KRK" / set keylife 28800 / next / '
    "end. Czy <b>zmiana</b> keylife & DPD może pomóc? <script>alert('x')</script>",
    'Sala konferencyjna: Yealink A30 nie wykrywa kamery po restarcie, Teams pokazuje "No camera found". '
    "Restart urządzenia pomaga na kilka godzin.",
    "Zmieniliśmy ustawienia DPD na on-idle i skróciliśmy keylife; proszę obserwować przez dobę i dać znać.",
]
MODELS = ["FortiGate 100F", "FortiGate 60F", "Yealink A30", "Yealink MVC640", "FortiGate 200F"]


def _nip(n: int) -> str:
    while True:
        base = f"{(100000000 + n * 7919) % 1000000000:09d}"
        check = sum(w * int(d) for w, d in zip(NIP_WEIGHTS, base, strict=True)) % 11
        if check != 10:
            return base + str(check)
        n += 1_000_003


def dialog_length(rng: random.Random) -> int:
    """Messages in a realistic dialog: 1 to 60, most of them short, about 12 on average (≈3 PDF pages with
    the paragraphs below)."""
    return min(60, 1 + int(rng.expovariate(1 / 11)))


def legacy_export(
    *, tickets: int, messages: int | None = 8, contracts: int | None = None, seed: int = 1
) -> Iterator[str]:
    """JSON Lines: the contracts first or last at random (the importer must not care), then the tickets.
    `messages` per ticket, or None for a realistic mix (dialog_length: 1–60, ≈3 pages on average)."""
    rng = random.Random(seed)  # noqa: S311 - test data, reproducible by seed
    contracts = contracts or max(1, tickets // 5)
    today = date.today()
    contract_lines: list[dict] = []
    for c in range(contracts):
        serials = [f"FG{c:06d}{k:04d}X" for k in range(rng.randint(1, 3))]
        contract_lines.append(
            {
                "type": "contract",
                "number": f"L{c:06d}",
                "customer": {"nip": _nip(c + 17), "name": f"Firma {c} Sp. z o.o."},
                "reseller": {"nip": _nip(900_000 + c % 7), "name": f"Partner {c % 7} S.A."} if c % 3 else None,
                "plan": "HEZO 360" if c % 2 else "HEZO+",
                "starts_on": (today - timedelta(days=400)).isoformat(),
                "ends_on": (today + timedelta(days=700)).isoformat(),
                "lines": [{"serial": serial, "model": rng.choice(MODELS)} for serial in serials],
            }
        )
    ticket_lines: list[dict] = []
    for t in range(tickets):
        contract = contract_lines[t % contracts]
        opened = datetime(2024, 1, 8, 9, 0, tzinfo=WARSAW) + timedelta(hours=7 * t)
        conversation = []
        for m in range(messages if messages is not None else dialog_length(rng)):
            body = "\n\n".join(rng.sample(PARAGRAPHS, k=2 if messages is not None else rng.randint(1, 3)))
            conversation.append(
                {
                    "at": (opened + timedelta(hours=3 * m)).isoformat(),
                    "author": "Jan Kowalski" if m % 2 == 0 else "Inżynier HEZO",
                    "role": "customer" if m % 2 == 0 else "engineer",
                    "body": body,
                }
            )
        ticket_lines.append(
            {
                "type": "ticket",
                "legacy_id": f"Z-GEN-{seed}-{t:07d}",
                "contract": contract["number"],
                "serial": rng.choice(contract["lines"])["serial"],
                "subject": f"Zgłoszenie {t}: tunel IPsec zrywa się po aktualizacji <b>7.4.3</b>",
                "status": rng.choice(["new", "open", "waiting"]),
                "priority": rng.choice(["critical", "non_critical", "question"]),
                "opened_at": opened.isoformat(),
                "reporter": {"name": "Jan Kowalski", "email": f"jan.kowalski{t % 50}@firma.example"},
                "partner_access": bool(t % 2),
                "messages": conversation,
            }
        )
    records = ticket_lines + contract_lines if seed % 2 else contract_lines + ticket_lines
    for record in records:
        yield json.dumps(record, ensure_ascii=False)
