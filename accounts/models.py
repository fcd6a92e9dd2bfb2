from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from core.text import email_canonical


class Language(models.TextChoices):
    POLISH = "pl", _("Polish")
    ENGLISH = "en", _("English")


def email_normalize(email: str) -> str:
    """The address as stored and shown: trimmed, in lower case. Who it is is `email_canonical`."""
    return (email or "").strip().lower()


class Role(models.TextChoices):
    CUSTOMER = "customer", _("customer")
    PARTNER = "partner", _("partner")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(email_canonical=email_canonical(username))

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("The e-mail address is required.")
        user = self.model(email=email_normalize(email), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


phone_validator = RegexValidator(r"^\d{9}$", _("Enter 9 digits, without +48."))


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in: a customer or partner user in the portal, or a HEZO engineer in admin.

    The e-mail address is the login and is unique regardless of case.
    """

    email = models.EmailField(
        _("e-mail address"),
        max_length=254,
        unique=True,
        error_messages={"unique": _("A user with this e-mail address already exists.")},
    )
    # The identity of the address (core/text.py): one account per canonical form. Null only for an account
    # that shared its canonical form with an older one when the column was added (accounts migration 0005
    # reports them): it cannot log in until an engineer changes its address.
    email_canonical = models.CharField(  # noqa: DJ001 (NULL: many "no identity" rows, one unique index)
        _("canonical e-mail address"), max_length=320, null=True, blank=True, editable=False
    )
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=9, blank=True, validators=[phone_validator])
    # What the person typed at registration; the verified company comes from the contract.
    company_name = models.CharField(_("company name"), max_length=200, blank=True)
    nip = models.CharField(_("NIP"), max_length=10, blank=True)
    language = models.CharField(_("preferred language"), max_length=2, choices=Language, default=Language.POLISH)
    is_staff = models.BooleanField(
        _("engineer"), default=False, help_text=_("Engineers of HEZO log in to the back office.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # Set by verification (SPEC §3): the company whose contract the user proved, and as whom.
    company = models.ForeignKey(
        "contracts.Company",
        verbose_name=_("verified company"),
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
    )
    role = models.CharField(_("role"), max_length=10, choices=Role, blank=True)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    # Raised to end every session of the user at once (deactivation, a second-factor change, "end sessions"
    # in admin): it is part of the session hash Django checks on each request. See accounts/sessions.py.
    session_generation = models.PositiveIntegerField(_("session generation"), default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(company__isnull=True) & models.Q(role=""))
                | (models.Q(company__isnull=False) & ~models.Q(role="")),
                name="accounts_user_company_and_role_together",
            ),
            models.UniqueConstraint(
                fields=["email_canonical"],
                name="accounts_user_email_canonical_unique",
                violation_error_message=_("A user with this e-mail address already exists."),
            ),
            models.UniqueConstraint(
                Lower("email"),
                name="accounts_user_email_ci_unique",
                violation_error_message=_("A user with this e-mail address already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = email_normalize(self.email)
        self.email_canonical = email_canonical(self.email)
        if self.is_staff and (self.company_id is not None or self.role):
            # An engineer sees the back office, where internal notes live; a company user sees the portal. One
            # account is never both (SPEC §3): an engineer who is also a customer uses two accounts.
            raise ValidationError(
                _(
                    "An engineer account cannot belong to a customer's or reseller's company. Clear the verified "
                    "company and role, or use a separate account for the portal."
                ),
                code="staff_with_company",
            )

    def save(self, *args, **kwargs) -> None:
        # Stored in lower case, so the plain unique index is case-insensitive too; the Lower()
        # constraint guards the rule against writes that bypass this method.
        self.email = email_normalize(self.email)
        self.email_canonical = email_canonical(self.email)
        super().save(*args, **kwargs)

    # Staff are never company users, even if a company was set on them by hand (see clean()): the portal's
    # access rules all start from these two properties.
    @property
    def is_company_user(self) -> bool:
        return self.company_id is not None and not self.is_staff

    @property
    def is_verified_customer(self) -> bool:
        return self.is_company_user and self.role == Role.CUSTOMER

    @property
    def is_verified_partner(self) -> bool:
        return self.is_company_user and self.role == Role.PARTNER

    def _get_session_auth_hash(self, secret=None):
        """Django's hash of the password, plus the session generation once it was raised: a password change
        or a raised generation makes every older session invalid (Django flushes it on its next request)."""
        if not self.session_generation:
            return super()._get_session_auth_hash(secret=secret)
        key_salt = "accounts.User.get_session_auth_hash"
        value = f"{self.password}:{self.session_generation}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def get_short_name(self) -> str:
        return self.first_name or self.email


class AuthEvent(models.Model):
    """One authentication event (logins, failures, lockouts, verifications, factor changes), for engineers.

    Written by accounts/signals.py and the account services; never changed afterwards.
    """

    class Kind(models.TextChoices):
        LOGIN_SUCCEEDED = "login_succeeded", _("login succeeded")
        LOGIN_FAILED = "login_failed", _("login failed")
        OTP_FAILED = "otp_failed", _("second-factor code refused")
        OTP_THROTTLED = "otp_throttled", _("second-factor code not checked (waiting after wrong codes)")
        LOCKED_OUT = "locked_out", _("locked out (too many attempts)")
        REAUTHENTICATED = "reauthenticated", _("password confirmed again")
        VERIFICATION_SUCCEEDED = "verification_succeeded", _("account verification succeeded")
        VERIFICATION_FAILED = "verification_failed", _("account verification failed")
        FACTOR_ADDED = "factor_added", _("second factor added")
        FACTOR_REMOVED = "factor_removed", _("second factor removed")
        BACKUP_CODES_GENERATED = "backup_codes_generated", _("backup codes generated")
        PASSWORD_CHANGED = "password_changed", _("password changed")
        PASSWORD_RESET = "password_reset", _("password reset")
        EMAIL_CHANGE_REQUESTED = "email_change_requested", _("e-mail change requested")
        EMAIL_CHANGED = "email_changed", _("e-mail address changed")
        SESSIONS_ENDED = "sessions_ended", _("all sessions ended")
        SESSION_ENDED = "session_ended", _("a session ended by its user")
        LOGOUT = "logout", _("logout")
        SESSION_EXPIRED = "session_expired", _("session expired")
        ACCOUNT_DELETED = "account_deleted", _("account deleted (anonymised)")

    USER_AGENT_MAX = 300

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.SET_NULL, null=True, blank=True, related_name="auth_events"
    )
    # What was typed at a failed login (there may be no such user), else the user's address at the time.
    email = models.CharField(_("e-mail address"), max_length=254, blank=True)
    kind = models.CharField(_("event"), max_length=32, choices=Kind)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=USER_AGENT_MAX, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("authentication event")
        verbose_name_plural = _("authentication events")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["kind", "-at"]), models.Index(fields=["user", "-at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.email}"


class EmailChange(models.Model):
    """A change of a user's login address waiting for its confirmation link (SPEC §3).

    At most one per user: a new request replaces it, so every older link is dead; confirming deletes it, so
    no link works twice, whatever the address is changed to afterwards. The link carries a random nonce; only
    its hash is kept here (accounts/tokens.py).
    """

    user = models.OneToOneField(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="pending_email_change"
    )
    # The login when the change was asked for: a link stops working when the address changed otherwise.
    old_email = models.EmailField(_("old e-mail address"), max_length=254)
    new_email = models.EmailField(_("new e-mail address"), max_length=254)
    nonce_hash = models.CharField(max_length=64)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)

    class Meta:
        verbose_name = _("pending e-mail change")
        verbose_name_plural = _("pending e-mail changes")

    def __str__(self) -> str:
        return f"{self.old_email} → {self.new_email}"


class UserSession(models.Model):
    """One logged-in session of a user, for "Your sessions" in account settings (ASVS V7.5.2): the browser and
    address it was last used from, when it began and when it was last seen.

    It hangs on Django's own session row (whose primary key is the session key; nothing secret is copied here)
    and goes with it: logout, expiry, a new key at login, re-authentication or a password change, and ending the
    session from the settings page all delete that row, and this one with it. accounts/sessions.py keeps it in
    step (a new key gets a new row in the same response) and notes activity at most once a minute.
    """

    session = models.OneToOneField(
        "sessions.Session", verbose_name=_("session"), on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+")
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=AuthEvent.USER_AGENT_MAX, blank=True)
    created_at = models.DateTimeField(_("logged in"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        indexes = [models.Index(fields=["user", "-last_seen_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.ip or ''} {self.last_seen_at:%Y-%m-%d %H:%M}"
