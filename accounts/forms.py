import re

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.contrib.auth.password_validation import password_validators_help_text_html, validate_password
from django.utils.translation import gettext_lazy as _
from two_factor.forms import TOTPDeviceForm

from contracts.nip import nip_parse
from contracts.notation import contract_number_parse, serial_parse
from core.forms import EmailAddressField, text_one_line_field_clean
from core.text import email_canonical

from .models import Language, User, email_normalize
from .throttle import PASSWORD_THROTTLED_MESSAGE, PasswordCheck, password_check


class CurrentPasswordCheckMixin:
    """For a form that asks for the logged-in user's current password: it is checked like a login attempt
    (accounts.throttle.password_check), sharing the login throttle, and a wrong one is logged. While the
    throttle refuses, the form says so as the login page does, does not check the password at all, and sets
    `throttled` (the view answers 429). Each such form's clean_<password field> returns
    `current_password_clean(<field>)`. accounts/tests/test_password_checks.py finds these forms by their
    "current-password" field and tries each through its page."""

    check_detail = ""  # the detail of a "login failed" entry: where the password was typed

    def __init__(self, *args, request, **kwargs):
        self.request = request
        self.throttled = False
        super().__init__(*args, **kwargs)

    def current_password_clean(self, field: str) -> str:
        password = self.cleaned_data[field]
        result = password_check(self.request, user=self.request.user, password=password, purpose=self.check_detail)
        if result is PasswordCheck.THROTTLED:
            self.throttled = True
            self.add_error(None, forms.ValidationError(PASSWORD_THROTTLED_MESSAGE, code="throttled"))
            return password
        if result is PasswordCheck.WRONG:
            raise forms.ValidationError(_("The password is not correct."), code="password_incorrect")
        return password


class RegistrationForm(forms.Form):
    """SPEC §3 and §11: the public registration form; field names are relied on by tests and automation."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = EmailAddressField(
        label=_("E-mail address"),
        help_text=_("Your login. The activation link and all ticket messages are sent here."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=20,
        help_text=_("9 digits, without +48."),
        widget=forms.TextInput(attrs={"autocomplete": "tel-national", "inputmode": "numeric"}),
    )
    company_name = forms.CharField(label=_("Company name"), max_length=200)
    nip = forms.CharField(
        label=_("Company NIP"),
        max_length=20,
        help_text=_("The tax id of the company named on your support contract, e.g. PL5260250274."),
    )
    language = forms.ChoiceField(label=_("Preferred language"), choices=Language.choices)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Repeat the password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean_email(self):
        return email_normalize(self.cleaned_data["email"])

    # Names are one line of visible text: no line breaks, bidi overrides or zero-width characters.
    def clean_first_name(self):
        return text_one_line_field_clean(self, "first_name")

    def clean_last_name(self):
        return text_one_line_field_clean(self, "last_name")

    def clean_company_name(self):
        return text_one_line_field_clean(self, "company_name")

    def clean_phone(self):
        phone = re.sub(r"[\s-]", "", self.cleaned_data["phone"])
        if phone.startswith(("+", "0048")):
            raise forms.ValidationError(_("Enter the number without the country code +48."))
        if not re.fullmatch(r"\d{9}", phone):
            raise forms.ValidationError(_("Enter 9 digits, without +48."))
        return phone

    def clean_nip(self):
        return nip_parse(self.cleaned_data["nip"])

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords are not the same."))
        elif password1:
            candidate = User(
                email=cleaned.get("email", ""),
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                validate_password(password1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class ActivationResendForm(forms.Form):
    email = EmailAddressField(label=_("E-mail address"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class AdminUserCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class AdminUserChangeForm(UserChangeForm):
    # Typed as people write it (`PL 951-235-98-48`), stored as its 10 digits, as in registration (SPEC §2).
    nip = forms.CharField(label=_("NIP"), max_length=20, required=False)

    class Meta:
        model = User
        fields = "__all__"

    def clean_nip(self):
        value = self.cleaned_data["nip"].strip()
        return nip_parse(value) if value else ""


class VerificationForm(forms.Form):
    """SPEC §3 and §11: contract number + one serial of that contract, in any accepted notation."""

    contract_number = forms.CharField(
        label=_("Contract number"), max_length=20, help_text=_("One letter and six digits, e.g. A123456.")
    )
    serial = forms.CharField(
        label=_("Serial number of a device on this contract"),
        max_length=120,
        help_text=_("For example FG1234567890 or (H)-FG1234567890; for software, the licence key with its dashes."),
    )

    def clean_contract_number(self):
        return contract_number_parse(self.cleaned_data["contract_number"])

    def clean_serial(self):
        return serial_parse(self.cleaned_data["serial"])


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, with the e-mail going through the outbox in the user's language (SPEC §9)."""

    # The portal's address rule (core/text.py): an address with look-alike letters gets its error here.
    email = EmailAddressField(label=_("E-mail address"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))

    def get_users(self, email):
        # One identity per address: the account whose canonical address this is (Django's own compares the
        # stored text case-insensitively, which finds `drugi` for `drugı` on PostgreSQL).
        users = User._default_manager.filter(email_canonical=email_canonical(email), is_active=True)
        return (user for user in users if user.has_usable_password())

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, **kwargs):
        from .services import password_reset_email_queue

        password_reset_email_queue(user=context["user"], uid=context["uid"], token=context["token"])


class EmailChangeForm(CurrentPasswordCheckMixin, forms.Form):
    check_detail = "e-mail change"

    new_email = EmailAddressField(
        label=_("New e-mail address"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("To make sure it is you."),
    )

    def clean_new_email(self):
        email = email_normalize(self.cleaned_data["new_email"])
        if email_canonical(email) == email_canonical(self.request.user.email):
            raise forms.ValidationError(_("This is already your e-mail address."))
        return email

    def clean_password(self):
        return self.current_password_clean("password")


class PasswordChangeForm(CurrentPasswordCheckMixin, auth_forms.PasswordChangeForm):
    """Django's form, with the old password checked like a login attempt."""

    check_detail = "password change"

    def clean_old_password(self):
        return self.current_password_clean("old_password")


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Preferred language"), choices=Language.choices)


class ReauthenticationForm(CurrentPasswordCheckMixin, forms.Form):
    check_detail = "re-authentication"

    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )

    def clean_password(self):
        return self.current_password_clean("password")


class AccountDeleteForm(ReauthenticationForm):
    """Deleting one's account: the password again (checked like a login attempt) and an explicit confirmation."""

    check_detail = "account deletion"

    password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label=_("I understand that my account is deleted for good and that I cannot log in again."),
        required=True,
    )


AUTHENTICATOR_CODE_LABEL = _("Code from the authenticator app")
BACKUP_CODE_LABEL = _("Backup code")


def code_widget(**attrs) -> forms.TextInput:
    """A one-time code is text: a number field would drop leading zeros and show spinner arrows. Phones still
    show digits, and browsers offer a code from a text message or a password manager."""
    return forms.TextInput(
        attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": "autofocus", **attrs}
    )


def code_field_shape(form: forms.Form, name: str, *, label, numeric: bool = True) -> None:
    """The code field of a django-two-factor-auth form, with the portal's name for it and a text input."""
    field = form.fields[name]
    field.label = label
    field.widget = code_widget() if numeric else code_widget(inputmode="text", spellcheck="false")


class AuthenticatorSetupForm(TOTPDeviceForm):
    """The code that confirms a new authenticator app: six digits, spaces allowed ("123 456")."""

    token = forms.CharField(label=AUTHENTICATOR_CODE_LABEL, max_length=20, widget=code_widget())
    error_messages = {
        "invalid_token": _(
            "This code does not match. Check that the app shows the code for myHEZO, and enter the newest one."
        )
    }

    def clean_token(self) -> int:
        code = "".join(self.cleaned_data.get("token", "").split())
        if not re.fullmatch(rf"\d{{{self.digits}}}", code):
            raise forms.ValidationError(_("Enter the %(digits)d digits the app shows.") % {"digits": self.digits})
        self.cleaned_data["token"] = int(code)
        return super().clean_token()
