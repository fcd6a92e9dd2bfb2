from django import forms
from django.utils.translation import gettext_lazy as _

from .text import EMAIL_MAX_LENGTH, email_address_validate, text_one_line


class EmailAddressField(forms.EmailField):
    """Django's EmailField with the portal's stricter rule (core/text.py): at most 254 characters, nothing
    invisible in it, a domain that can be sent to."""

    default_validators = [email_address_validate]

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", EMAIL_MAX_LENGTH)
        super().__init__(**kwargs)


def text_one_line_field_clean(form: forms.Form, name: str) -> str:
    """`clean_<name>` of a one-line text field: what remains after text_one_line, or the field's error."""
    value = text_one_line(form.cleaned_data[name])
    if not value and form.fields[name].required:
        raise forms.ValidationError(form.fields[name].error_messages["required"], code="required")
    return value


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=150)
    email = EmailAddressField(label=_("E-mail address"), help_text=_("We will reply to this address."))
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    company_name = forms.CharField(label=_("Company"), max_length=200, required=False)
    message = forms.CharField(label=_("Message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 8}))

    def clean_name(self):
        name = text_one_line(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError(_("Please enter your name."))
        return name

    def clean_company_name(self):
        return text_one_line_field_clean(self, "company_name")
