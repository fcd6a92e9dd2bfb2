"""What the apps above `accounts` keep about a person, for "download my data" and "delete my account" (GDPR
art. 15, 17 and 20). Such an app registers its part from its `AppConfig.ready()` (tickets/apps.py); the account
services call every registered part, so they need not import the apps above them (README "Layers")."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class PersonalDataPart:
    """`export(user)` gives the part's entries of the user's data download (a dict merged into it);
    `anonymise(*, user, email, former_name, name, placeholder_email)` takes the person's name and address out
    of what the company keeps, inside the account deletion's transaction."""

    export: Callable[..., dict]
    anonymise: Callable[..., None]


personal_data_parts: list[PersonalDataPart] = []


def personal_data_part_register(part: PersonalDataPart) -> None:
    if part not in personal_data_parts:
        personal_data_parts.append(part)
