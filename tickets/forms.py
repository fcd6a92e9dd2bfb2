import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from contracts.models import Contract, ContractLine, Priority
from contracts.notation import contract_number_parse
from core.forms import EmailAddressField, text_one_line_field_clean
from core.text import text_one_line

from .attachments import allowed_extensions, attachments_check
from .models import Status
from .services import emails_clean

PRIORITY_EXPLAINED = {
    Priority.CRITICAL: _("Critical: the device does not work or cannot be reached."),
    Priority.NON_CRITICAL: _("Non-critical: the device works, but unstably."),
    Priority.QUESTION: _("Question: a configuration change, an explanation or a consultation."),
}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern); the list is checked as a whole."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        files = [super(MultipleFileField, self).clean(file, initial) for file in files]
        attachments_check(files)
        return files


def _attachments_help() -> str:
    return _("Up to %(count)d files, %(size)s each: %(types)s.") % {
        "count": settings.MYHEZO_ATTACHMENT_MAX_FILES,
        "size": filesizeformat(settings.MYHEZO_ATTACHMENT_MAX_BYTES),
        "types": allowed_extensions(),
    }


attachments_help = lazy(_attachments_help, str)


def attachments_field() -> MultipleFileField:
    return MultipleFileField(label=_("Attachments"), help_text=attachments_help())


CC_SPLIT_RE = re.compile(r"[\s,;]+")


class TicketCreateForm(forms.Form):
    """SPEC §11 field names: contract_line priority title description attachments cc_emails partner_access."""

    contract_line = forms.ChoiceField(
        label=_("Device"),
        error_messages={
            "required": _("Choose the device the ticket is about."),
            "invalid_choice": _("Choose the device the ticket is about from the list."),
        },
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=list(PRIORITY_EXPLAINED.items()), widget=forms.RadioSelect
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Describe the problem as precisely as you can: what happens, since when, what you tried."),
    )
    attachments = attachments_field()
    cc_emails = forms.CharField(
        label=_("CC e-mail addresses"),
        required=False,
        max_length=2000,
        help_text=_("Other people who should get every message of this ticket; separate addresses with commas."),
    )
    partner_access = forms.BooleanField(label=_("Let the reseller see this ticket"), required=False)

    def __init__(self, *args, lines: QuerySet[ContractLine], **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = {str(line.pk): line for line in lines}
        groups: dict[str, list] = {}
        for line in self.lines.values():
            contract = line.contract
            groups.setdefault(f"{contract.number} · {contract.plan.name}", []).append(
                (str(line.pk), f"{line.notation} — {line.model}" if line.model else line.notation)
            )
        self.fields["contract_line"].choices = [("", "—"), *groups.items()]
        if len(self.lines) == 1:
            self.fields["contract_line"].initial = next(iter(self.lines))
        resellers = {line.contract.reseller.name for line in self.lines.values() if line.contract.reseller}
        self.resellers = sorted(resellers)
        if len(resellers) == 1:
            self.fields["partner_access"].label = _(
                "Let %(reseller)s, the reseller that sold the contract, see this ticket"
            ) % {"reseller": self.resellers[0]}
        self.fields["partner_access"].help_text = _(
            "Off unless you tick it. The reseller's users can read the ticket and its attachments, never write; "
            "you can withdraw this at any time."
        )

    def clean_contract_line(self) -> ContractLine:
        line = self.lines.get(self.cleaned_data["contract_line"])
        if line is None:
            raise ValidationError(_("Choose the device the ticket is about from the list."))
        return line

    def files_to_choose_again(self) -> list[str]:
        """The names of files that were sent with a form that has errors. A browser never fills a file field
        in again, and the portal keeps nothing of a ticket that was not opened, so the page says which files to
        choose again rather than dropping them silently. (Keeping the uploads for a retry would need temporary
        storage, its clean-up and a signed reference tied to the user: more to get wrong than this one line.)"""
        if not self.is_bound or not self.errors or "attachments" in self.errors:
            return []
        return [file.name for file in self.files.getlist("attachments")]

    def clean_title(self) -> str:
        title = text_one_line(self.cleaned_data["title"])
        if not title:
            raise ValidationError(_("Give the ticket a title."))
        return title

    def clean_cc_emails(self) -> list[str]:
        return emails_clean(CC_SPLIT_RE.split(self.cleaned_data["cc_emails"]))

    def clean(self):
        cleaned = super().clean()
        line = cleaned.get("contract_line")
        if cleaned.get("partner_access") and line is not None and line.contract.reseller_id is None:
            self.add_error(
                "partner_access",
                _("Contract %(number)s was not sold by a reseller, so there is nobody to share the ticket with.")
                % {"number": line.contract.number},
            )
        return cleaned


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your message"), max_length=20000, widget=forms.Textarea(attrs={"rows": 6}))
    attachments = attachments_field()


class CcAddForm(forms.Form):
    email = EmailAddressField(label=_("Add a CC address"))


class EscalateForm(forms.Form):
    reason = forms.CharField(
        label=_("Why does this ticket need escalating?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class TicketFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False)
    priority = forms.ChoiceField(label=_("Priority"), required=False)
    contract = forms.ChoiceField(label=_("Contract"), required=False)
    customer = forms.TypedChoiceField(label=_("Customer"), required=False, coerce=int, empty_value=None)

    def clean_contract(self) -> str:
        return self.cleaned_data["contract"].strip().upper()

    def __init__(self, *args, contracts: list[str], customers: list[tuple[int, str]] | None = None, **kwargs):
        """`customers`: the customer companies a partner's list can be filtered by; None (a customer's list)
        leaves the field out."""
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("all")), ("open", _("open")), *Status.choices]
        self.fields["priority"].choices = [("", _("all")), *Priority.choices]
        self.fields["contract"].choices = [("", _("all"))] + [(number, number) for number in contracts]
        if customers is None:
            del self.fields["customer"]
        else:
            self.fields["customer"].choices = [("", _("all"))] + [(str(pk), name) for pk, name in customers]
            # Like the contract: a company that is not in the list finds nothing (access still decides).
            self.fields["customer"].valid_value = lambda value: True
        # A contract that is not in the list (another company's, a typo) finds nothing rather than everything.
        self.fields["contract"].valid_value = lambda value: True


# --- the engineers' desk (admin) ------------------------------------------------------------------


class EngineerReplyForm(forms.Form):
    """One composer of the desk: whether it writes a public reply or an internal note is fixed by the view it
    posts to (`TicketAdmin.reply_view` / `note_view`), never by a field. `auto_id` tells the two apart on a page."""

    body = forms.CharField(label=_("Text"), max_length=20000, widget=forms.Textarea(attrs={"rows": 6}))
    attachments = attachments_field()


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=None, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.filter(is_staff=True, is_active=True).order_by("email")


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = Status.choices


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)


class PhoneContactForm(forms.Form):
    body = forms.CharField(
        label=_("What was said on the phone"), max_length=20000, widget=forms.Textarea(attrs={"rows": 3})
    )


class PhoneIntakeForm(forms.Form):
    """An engineer opens a ticket for a caller: the serial must be on the chosen contract (SPEC §7)."""

    contract_number = forms.CharField(label=_("Contract number"), max_length=20)
    serial = forms.CharField(label=_("Serial number"), max_length=120, help_text=_("In any notation."))
    contact_name = forms.CharField(label=_("Caller's name"), max_length=300)
    contact_email = EmailAddressField(label=_("Caller's e-mail address"))
    language = forms.ChoiceField(
        label=_("Language of e-mails"), choices=settings.LANGUAGES, help_text=_("Used when the caller has no account.")
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=list(PRIORITY_EXPLAINED.items()), widget=forms.RadioSelect
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), max_length=20000, widget=forms.Textarea(attrs={"rows": 8}))
    attachments = attachments_field()
    cc_emails = forms.CharField(label=_("CC e-mail addresses"), required=False, max_length=2000)
    partner_access = forms.BooleanField(label=_("The caller lets the reseller see this ticket"), required=False)

    def clean_contract_number(self):
        number = contract_number_parse(self.cleaned_data["contract_number"])
        contract = Contract.objects.filter(number=number).select_related("customer", "reseller").first()
        if contract is None:
            raise ValidationError(_("There is no contract %(number)s."), params={"number": number})
        return contract

    def clean_contact_name(self) -> str:
        return text_one_line_field_clean(self, "contact_name")

    def files_to_choose_again(self) -> list[str]:
        """The names of files that were sent with a form that has errors. A browser never fills a file field
        in again, and the portal keeps nothing of a ticket that was not opened, so the page says which files to
        choose again rather than dropping them silently. (Keeping the uploads for a retry would need temporary
        storage, its clean-up and a signed reference tied to the user: more to get wrong than this one line.)"""
        if not self.is_bound or not self.errors or "attachments" in self.errors:
            return []
        return [file.name for file in self.files.getlist("attachments")]

    def clean_title(self) -> str:
        return text_one_line_field_clean(self, "title")

    def clean_cc_emails(self) -> list[str]:
        return emails_clean(CC_SPLIT_RE.split(self.cleaned_data["cc_emails"]))
