import secrets
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Replace
from django.urls import reverse
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

from contracts.models import Contract
from core.models import ContactMessage, OutboxEmail
from core.names import DELETED_PERSON
from core.outbox import email_queue
from core.text import email_canonical, text_one_line

from .clients import ClientInfo, browser_label
from .models import AuthEvent, EmailChange, Role, User, UserSession, email_normalize
from .otp_hashed.codes import code_generate, code_hash
from .otp_hashed.models import BackupCode, BackupCodeDevice
from .personal_data import personal_data_parts
from .tokens import activation_token_make, email_change_nonce_hash, email_change_token_make

BACKUP_CODES_PER_SET = 10


def auth_event_record(
    *, kind: str, client: ClientInfo | None = None, user: User | None = None, email: str = "", detail: str = ""
) -> AuthEvent:
    """Write one authentication event (AuthEvent) for the engineers' log."""
    client = client or ClientInfo()
    if user is not None and not user.pk:
        user = None
    event = AuthEvent(
        kind=kind,
        user=user,
        email=(email or (user.email if user is not None else ""))[:254],
        detail=detail[:200],
        ip=client.ip,
        user_agent=client.user_agent[: AuthEvent.USER_AGENT_MAX],
    )
    event.full_clean()
    event.save()
    return event


@transaction.atomic
def user_language_set(*, user: User, language: str) -> User:
    """Change only the preferred language: validated on its own, so a fault elsewhere in the account (an engineer
    given a company by hand) neither blocks it nor turns the language switch into an error page."""
    user.language = language
    user.clean_fields(exclude=[f.name for f in User._meta.concrete_fields if f.name != "language"])
    user.save(update_fields=["language"])
    return user


def _activation_email_queue(user: User) -> None:
    link = settings.MYHEZO_BASE_URL + reverse("accounts:activate", args=[activation_token_make(user)])
    email_queue(
        to=[user.email],
        template="accounts/emails/activation",
        context={"user": user, "link": link, "hours": int(settings.MYHEZO_ACTIVATION_TIMEOUT.total_seconds() // 3600)},
        language=user.language,
    )


ALREADY_REGISTERED_TEMPLATE = "accounts/emails/already_registered"


@transaction.atomic
def user_register(
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    phone: str,
    company_name: str,
    nip: str,
    language: str,
) -> User | None:
    """Register an inactive account and e-mail its activation link (SPEC §3).

    Registration tells nobody who is registered: a known address (in canonical form, core/text.py) creates
    nothing and its owner gets an e-mail saying someone tried, at most one a day; the caller shows the same page
    either way. Both paths do the same work, so they also take the same time: the input is checked in full and
    the password hashed before the address is looked up, and each path then queues one e-mail."""
    user = User(
        email=email_normalize(email),
        first_name=text_one_line(first_name),
        last_name=text_one_line(last_name),
        phone=phone,
        company_name=text_one_line(company_name),
        nip=nip,
        language=language,
        is_active=False,
    )
    user.set_password(password)
    # Errors of the input itself, the same whether or not the address is known (uniqueness is not an error).
    user.full_clean(validate_unique=False, validate_constraints=False)
    existing = User.objects.filter(email_canonical=user.email_canonical).first()
    if existing is None:
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:  # registered a moment ago by a concurrent request: a known address now
            existing = User.objects.filter(email_canonical=user.email_canonical).first()
        else:
            _activation_email_queue(user)
            return user
    if existing is not None:
        _already_registered_notify(existing)
    return None


def _already_registered_notify(user: User) -> None:
    # At most one a day per address, counted in the outbox itself: a flood of registrations is not a flood of
    # e-mails to the victim, and the count survives a cache outage.
    since = timezone.now() - timedelta(days=1)
    recent = OutboxEmail.objects.filter(
        template=ALREADY_REGISTERED_TEMPLATE, created_at__gte=since, to__icontains=user.email
    )
    if any(user.email in email.to for email in recent):
        return
    email_queue(
        to=[user.email],
        template=ALREADY_REGISTERED_TEMPLATE,
        context={"user": user, "login_link": settings.MYHEZO_BASE_URL + reverse("two_factor:login")},
        language=user.language,
    )


def password_reset_email_queue(*, user: User, uid: str, token: str) -> None:
    link = settings.MYHEZO_BASE_URL + reverse("accounts:password_reset_confirm", args=[uid, token])
    email_queue(
        to=[user.email],
        template="accounts/emails/password_reset",
        context={"user": user, "link": link},
        language=user.language,
    )


@transaction.atomic
def user_activate(*, user: User) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    user.is_active = True
    user.save(update_fields=["is_active"])
    return user


@transaction.atomic
def activation_resend(*, email: str) -> None:
    """Send a new activation link if this address has an inactive, never-activated account; otherwise do
    nothing. The caller shows the same message either way."""
    user = User.objects.filter(email_canonical=email_canonical(email), is_active=False, last_login__isnull=True).first()
    if user is not None:
        _activation_email_queue(user)


class VerificationFailed(Exception):
    """The account's NIP, the contract and the serial are not on one contract. Deliberately one error:
    the form must not tell which part was wrong (SPEC §3)."""


def user_verify(*, user: User, contract_number: str, serial: str, client: ClientInfo | None = None) -> User:
    """Make the user a verified customer (their NIP is the contract's customer) or partner (their NIP is
    the contract's reseller) when the serial is on that contract. `contract_number` and `serial` are
    already parsed: a canonical number and a `SerialInput`. Each attempt is in the authentication log."""
    try:
        verified = _user_verify(user=user, contract_number=contract_number, serial=serial)
    except VerificationFailed:
        auth_event_record(
            kind=AuthEvent.Kind.VERIFICATION_FAILED, client=client, user=user, detail=f"contract {contract_number}"
        )
        raise
    auth_event_record(
        kind=AuthEvent.Kind.VERIFICATION_SUCCEEDED,
        client=client,
        user=verified,
        detail=f"{verified.role} {contract_number}",
    )
    return verified


@transaction.atomic
def _user_verify(*, user: User, contract_number: str, serial: str) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_staff:  # engineers are not company users (User.clean)
        raise VerificationFailed
    if user.company_id is not None:
        return user
    contract = Contract.objects.select_related("customer", "reseller").filter(number=contract_number).first()
    if contract is None:
        raise VerificationFailed
    lines = contract.lines.filter(serial=serial.serial)
    if serial.index is not None:
        lines = lines.filter(service_index=serial.index)
    if not lines.exists():
        raise VerificationFailed
    if user.nip and user.nip == contract.customer.nip:
        user.company, user.role = contract.customer, Role.CUSTOMER
    elif user.nip and contract.reseller is not None and user.nip == contract.reseller.nip:
        user.company, user.role = contract.reseller, Role.PARTNER
    else:
        raise VerificationFailed
    user.verified_at = timezone.now()
    user.full_clean(exclude=["password"])
    user.save(update_fields=["company", "role", "verified_at"])
    return user


class EmailTaken(Exception):
    """Another account already uses the address."""


class EmailChangeLinkUsed(Exception):
    """The change the link was made for is gone: confirmed already, or replaced by a newer request."""


@transaction.atomic
def email_change_link_make(*, user: User, new_email: str) -> str:
    """Start a change of the login address and return the token of its confirmation link. The change and the
    hash of a fresh nonce are stored (accounts.models.EmailChange), replacing any pending one: every link made
    before is dead from now on."""
    nonce = secrets.token_urlsafe(32)
    User.objects.select_for_update().filter(pk=user.pk).first()  # two requests at once: one after the other
    EmailChange.objects.filter(user=user).delete()
    change = EmailChange(
        user=user,
        old_email=user.email,
        new_email=email_normalize(new_email),
        nonce_hash=email_change_nonce_hash(nonce),
    )
    change.full_clean()
    change.save()
    return email_change_token_make(user, nonce)


@transaction.atomic
def email_change_request(*, user: User, new_email: str, client: ClientInfo | None = None) -> None:
    """Send a confirmation link to the new address; nothing changes until it is opened, and every link sent
    before for this account stops working."""
    new_email = email_normalize(new_email)
    token = email_change_link_make(user=user, new_email=new_email)
    link = settings.MYHEZO_BASE_URL + reverse("accounts:email_change_confirm", args=[token])
    email_queue(
        to=[new_email],
        template="accounts/emails/email_change_confirm",
        context={"user": user, "link": link, "new_email": new_email},
        language=user.language,
    )
    auth_event_record(kind=AuthEvent.Kind.EMAIL_CHANGE_REQUESTED, client=client, user=user, detail=f"to {new_email}")


@transaction.atomic
def email_change_confirm(*, change: EmailChange, client: ClientInfo | None = None) -> User:
    """Switch the login to the confirmed address, use the link up and tell the old address. Raises
    EmailChangeLinkUsed when the change is gone (a second click, or a newer request in between) and EmailTaken
    when another account has the address by now; either way nothing changes."""
    user = User.objects.select_for_update().get(pk=change.user_id)
    pending = EmailChange.objects.select_for_update().filter(pk=change.pk, nonce_hash=change.nonce_hash).first()
    if pending is None or pending.old_email != user.email:
        raise EmailChangeLinkUsed
    new_email = pending.new_email
    if User.objects.filter(email_canonical=email_canonical(new_email)).exclude(pk=user.pk).exists():
        raise EmailTaken
    pending.delete()
    old_email = user.email
    user.email = new_email
    user.full_clean(exclude=["password"])
    user.save(update_fields=["email"])
    email_queue(
        to=[old_email],
        template="accounts/emails/email_changed_notice",
        context={"user": user, "old_email": old_email, "new_email": new_email},
        language=user.language,
    )
    auth_event_record(
        kind=AuthEvent.Kind.EMAIL_CHANGED, client=client, user=user, email=new_email, detail=f"from {old_email}"
    )
    return user


# --- Password, sessions and the second factor ---------------------------------------------------------


@transaction.atomic
def password_changed_notify(
    *, user: User, reset: bool, client: ClientInfo | None = None, keep_session_key: str | None = None
) -> None:
    """After a password change (or a reset by e-mailed link): the log, and a notice to the account's address.
    Every other session ended with the password (Django's session hash follows it): they go from the database,
    the cache and "Your sessions"; `keep_session_key` is the session that changed it."""
    _tracked_sessions_delete(user, keep_session_key=keep_session_key)
    kind = AuthEvent.Kind.PASSWORD_RESET if reset else AuthEvent.Kind.PASSWORD_CHANGED
    auth_event_record(kind=kind, client=client, user=user)
    email_queue(
        to=[user.email],
        template="accounts/emails/password_changed",
        context={"user": user, "reset": reset},
        language=user.language,
    )


def _session_generation_raise(user: User) -> None:
    """End every session of the user: their session hash changes (see User._get_session_auth_hash), and the
    sessions themselves go. A caller that keeps its own (accounts.sessions.session_keep) has its data in memory
    and saves it under a new key."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.session_generation = User.objects.values_list("session_generation", flat=True).get(pk=user.pk)
    _tracked_sessions_delete(user)


# --- "Your sessions" (ASVS V7.5.2) ---------------------------------------------------------------------


def _session_store(session_key: str):
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)


def _tracked_sessions_delete(user: User, *, keep_session_key: str | None = None) -> list[UserSession]:
    """Delete the user's sessions (but `keep_session_key`): Django's session row and its cache entry, so the next
    request with that cookie is logged out; the UserSession row goes with the session row."""
    rows = list(UserSession.objects.filter(user=user).exclude(session_id=keep_session_key or ""))
    for row in rows:
        _session_store(row.session_id).delete()
    return rows


def user_session_record(
    *, user: User, session_key: str, client: ClientInfo | None = None, started_at: datetime | None = None
) -> UserSession:
    """A logged-in session, as "Your sessions" lists it: at login, and again under each new key of the session
    (the old key's row went with its session)."""
    client = client or ClientInfo()
    now = timezone.now()
    row, _created = UserSession.objects.update_or_create(
        session_id=session_key,
        defaults={
            "user": user,
            "ip": client.ip,
            "user_agent": client.user_agent[: AuthEvent.USER_AGENT_MAX],
            "created_at": started_at or now,
            "last_seen_at": now,
        },
    )
    return row


def user_session_seen(*, session_key: str, client: ClientInfo | None = None) -> None:
    """The session was used now, from this address and browser (called at most once a minute per session)."""
    client = client or ClientInfo()
    UserSession.objects.filter(session_id=session_key).update(
        last_seen_at=timezone.now(), ip=client.ip, user_agent=client.user_agent[: AuthEvent.USER_AGENT_MAX]
    )


def _session_ended_record(row: UserSession, *, user: User, client: ClientInfo | None) -> None:
    auth_event_record(
        kind=AuthEvent.Kind.SESSION_ENDED,
        client=client,
        user=user,
        detail=f"{browser_label(row.user_agent) or 'unknown browser'}, {row.ip or 'unknown address'}, by the user",
    )


@transaction.atomic
def user_session_end(
    *, user: User, session_pk: int, current_session_key: str, client: ClientInfo | None = None
) -> UserSession:
    """End one other session of the user ("Your sessions"); logged. UserSession.DoesNotExist for a session that
    is not the user's, or is this one (that is "Log out")."""
    row = UserSession.objects.exclude(session_id=current_session_key).get(pk=session_pk, user=user)
    _session_store(row.session_id).delete()
    _session_ended_record(row, user=user, client=client)
    return row


@transaction.atomic
def user_sessions_end_others(*, user: User, current_session_key: str, client: ClientInfo | None = None) -> int:
    """End every session of the user but this one ("Your sessions"); each is logged. How many ended."""
    rows = _tracked_sessions_delete(user, keep_session_key=current_session_key)
    for row in rows:
        _session_ended_record(row, user=user, client=client)
    return len(rows)


@transaction.atomic
def user_sessions_end(*, user: User, reason: str, client: ClientInfo | None = None) -> None:
    """End every session of the user (deactivation, or an engineer's "End all sessions")."""
    _session_generation_raise(user)
    auth_event_record(kind=AuthEvent.Kind.SESSIONS_ENDED, client=client, user=user, detail=reason)


def _second_factor_changed(*, user: User, kind: str, template: str, client: ClientInfo | None, detail: str = ""):
    # Other sessions end (ASVS V7.4.3); the caller keeps its own with accounts.sessions.session_keep.
    _session_generation_raise(user)
    auth_event_record(kind=kind, client=client, user=user, detail=detail)
    email_queue(to=[user.email], template=f"accounts/emails/{template}", context={"user": user}, language=user.language)


@transaction.atomic
def second_factor_added(*, user: User, device: TOTPDevice, client: ClientInfo | None = None) -> None:
    """A new authenticator app was confirmed. It replaces any earlier one: one app per account."""
    replaced = TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()[0]
    _second_factor_changed(
        user=user,
        kind=AuthEvent.Kind.FACTOR_ADDED,
        template="factor_added",
        client=client,
        detail="authenticator app" + (" (replaces the earlier one)" if replaced else ""),
    )


@transaction.atomic
def second_factor_disable(*, user: User, client: ClientInfo | None = None) -> None:
    """Remove the authenticator app and the backup codes; the next page asks to set up a new app."""
    for device in list(devices_for_user(user, confirmed=None)):
        device.delete()
    _second_factor_changed(user=user, kind=AuthEvent.Kind.FACTOR_REMOVED, template="factor_removed", client=client)


@transaction.atomic
def second_factor_enrol(*, user: User, device: TOTPDevice, client: ClientInfo | None = None) -> list[str]:
    """A new authenticator app was confirmed (`second_factor_added`). A user without backup codes (a first
    enrolment, or after removing the second factor) gets a set with it, logged but not mailed separately: the
    e-mail about the new app is enough. Returns the new codes, the only time they exist in clear; none when the
    user kept earlier codes."""
    second_factor_added(user=user, device=device, client=client)
    if BackupCode.objects.filter(device__user=user, device__confirmed=True).exists():
        return []
    codes = _backup_codes_issue(user)
    auth_event_record(
        kind=AuthEvent.Kind.BACKUP_CODES_GENERATED, client=client, user=user, detail="with the authenticator app"
    )
    return codes


@transaction.atomic
def backup_codes_generate(*, user: User, client: ClientInfo | None = None) -> list[str]:
    """A new set of backup codes replaces the old one. Returns the codes: the only time they exist in clear."""
    codes = _backup_codes_issue(user)
    _second_factor_changed(
        user=user, kind=AuthEvent.Kind.BACKUP_CODES_GENERATED, template="backup_codes_generated", client=client
    )
    return codes


def _backup_codes_issue(user: User) -> list[str]:
    device = _backup_device(user)
    codes = [code_generate() for _ in range(BACKUP_CODES_PER_SET)]
    device.codes.all().delete()
    BackupCode.objects.bulk_create([BackupCode(device=device, digest=code_hash(c, high_entropy=True)) for c in codes])
    return codes


@transaction.atomic
def backup_codes_set(*, user: User, codes: list[str]) -> BackupCodeDevice:
    """Give the user exactly these backup codes (the demo data's public ones). They were not generated here,
    so they may be short: each is stored with the slow password hasher."""
    device = _backup_device(user)
    device.codes.all().delete()
    BackupCode.objects.bulk_create([BackupCode(device=device, digest=code_hash(c, high_entropy=False)) for c in codes])
    return device


def _backup_device(user: User) -> BackupCodeDevice:
    device = BackupCodeDevice.objects.select_for_update().filter(user=user).first()
    if device is None:
        device = BackupCodeDevice(user=user, name="backup", confirmed=True)
        device.full_clean()
        device.save()
    return device


# --- GDPR: download my data, delete my account ---------------------------------------------------------

# What replaces a deleted person's name wherever the company's records keep it (tickets, messages, history): a
# fixed marker, shown in the reader's language by core.names.person_name (the template filter `person`).
DELETED_USER_NAME = DELETED_PERSON


def deleted_user_email(user: User) -> str:
    """A unique address that can never receive mail (RFC 2606 `.invalid`), in place of a deleted person's."""
    return f"deleted-{user.pk}@users.invalid"


def user_data_export(*, user: User) -> dict:
    """Everything the portal keeps about the user as a person, for "download my data" (GDPR art. 15 and 20):
    the profile, the second-factor devices (names, never secrets), a change of address waiting for its link,
    their authentication log (time, event, IP address, browser), the tickets they reported, the messages they
    wrote and, for a partner user, the tickets they read. Nothing of other people beyond the titles of the
    tickets the user reported."""
    company = user.company
    data = {
        "format": "myhezo-user-data/1",
        "exported_at": timezone.now(),
        "profile": {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "phone": user.phone,
            "company_name_as_registered": user.company_name,
            "nip_as_registered": user.nip,
            "language": user.language,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "verified_company": {"name": company.name, "nip": company.nip} if company else None,
            "role": user.role,
            "verified_at": user.verified_at,
        },
        "second_factor_devices": [
            {"kind": str(device._meta.verbose_name), "name": device.name, "confirmed": device.confirmed}
            for device in devices_for_user(user, confirmed=None)
        ],
        "pending_email_change": EmailChange.objects.filter(user=user).values("new_email", "requested_at").first(),
        "authentication_events": [
            {"at": at, "event": kind, "ip_address": ip, "browser": user_agent}
            for at, kind, ip, user_agent in AuthEvent.objects.filter(user=user)
            .order_by("at", "pk")
            .values_list("at", "kind", "ip", "user_agent")
        ],
    }
    for part in personal_data_parts:  # the tickets they reported, the messages they wrote, …
        data.update(part.export(user))
    return data


@transaction.atomic
def user_delete_anonymise(*, user: User, by_engineer: User | None = None, client: ClientInfo | None = None) -> User:
    """Delete a person's account by anonymising it (GDPR art. 17) while their company keeps its tickets.

    The account can never log in again (unusable password, inactive, no second factor) and every session of
    it ends (the session hash follows the password). Its name becomes "Deleted user", its address a unique
    placeholder, the phone and what was typed at registration go. In the tickets, their name and address leave
    the reporter, message and history snapshots, and CC entries with their address are removed
    (each app's registered part: accounts/personal_data.py). Contact-form messages from their address are anonymised,
    and e-mails in the outbox to them alone are deleted (their address is taken out of the others). In the
    authentication log their addresses (also former ones) give way to the placeholder; the entries stay, with
    their IP addresses and browsers, for security (linked to the anonymised account), and an "account deleted"
    entry is added. A pending change of address is dropped (its link dies). `by_engineer` is the engineer who did
    it in admin, if not the user."""
    user = User.objects.select_for_update().get(pk=user.pk)
    old_email, former_name = user.email, f"{user.first_name} {user.last_name}".strip()
    placeholder = deleted_user_email(user)

    for device in list(devices_for_user(user, confirmed=None)):
        device.delete()
    user.first_name, user.last_name = DELETED_USER_NAME, ""
    user.email = placeholder
    user.phone = user.company_name = user.nip = ""
    user.is_active = user.is_staff = user.is_superuser = False
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.clear()
    EmailChange.objects.filter(user=user).delete()  # an address asked for and never confirmed
    user.user_permissions.clear()

    for part in personal_data_parts:
        part.anonymise(
            user=user,
            email=old_email,
            former_name=former_name or old_email,
            name=DELETED_USER_NAME,
            placeholder_email=placeholder,
        )
    ContactMessage.objects.filter(email__iexact=old_email).update(
        name=DELETED_USER_NAME, email=placeholder, phone="", company_name=""
    )
    # `to` is a JSON list: a text match finds the candidates on every database, the exact check is here.
    for email in OutboxEmail.objects.filter(Q(to__icontains=old_email) | Q(reply_to__icontains=old_email)):
        others = [address for address in email.to if address.strip().lower() != old_email]
        reply_to = [address for address in email.reply_to if address.strip().lower() != old_email]
        if others == email.to and reply_to == email.reply_to:
            continue
        if others:
            email.to, email.reply_to = others, reply_to
            email.save(update_fields=["to", "reply_to"])
        elif not ContactMessage.objects.filter(email_to_helpdesk=email).exists():
            email.delete()
        else:
            email.to, email.reply_to = [placeholder], reply_to
            email.save(update_fields=["to", "reply_to"])

    # The authentication log: every address the person had (an e-mail change logs "from <old address>").
    addresses = {old_email}
    for detail in AuthEvent.objects.filter(user=user, kind=AuthEvent.Kind.EMAIL_CHANGED).values_list(
        "detail", flat=True
    ):
        if detail.startswith("from "):
            addresses.add(email_normalize(detail.removeprefix("from ")))
    events = AuthEvent.objects.filter(Q(user=user) | Q(email__in=addresses))
    events.filter(kind__in=[AuthEvent.Kind.EMAIL_CHANGED, AuthEvent.Kind.EMAIL_CHANGE_REQUESTED]).update(detail="")
    events.update(email=placeholder)
    for address in addresses:  # e.g. "ended by <engineer's address>" in other users' entries
        AuthEvent.objects.filter(detail__contains=address).update(
            detail=Replace("detail", Value(address), Value(placeholder))
        )
    auth_event_record(
        kind=AuthEvent.Kind.ACCOUNT_DELETED,
        client=client,
        user=user,
        detail="in the back office" if by_engineer is not None else "by the user",
    )
    return user
