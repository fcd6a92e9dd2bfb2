from django import forms
from django.utils.translation import gettext_lazy as _


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(label=_("E-mail address"), help_text=_("We will reply to this address."))
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    company_name = forms.CharField(label=_("Company"), max_length=200, required=False)
    message = forms.CharField(label=_("Message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 8}))

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Please enter your name."))
        return name
