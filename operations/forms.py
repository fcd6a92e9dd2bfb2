from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AllowanceKind, ScheduledWorkKind


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def _instant(label) -> forms.DateTimeField:
    # Typed in Europe/Warsaw (the current time zone), stored aware.
    return forms.DateTimeField(label=label, required=False, widget=DateTimeLocalInput())


class ReplacementApproveForm(forms.Form):
    replacement_serial = forms.CharField(label=_("Serial number of the replacement"), max_length=100, required=False)
    carrier = forms.CharField(label=_("Carrier"), max_length=100, required=False)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=100, required=False)


class ReplacementUpdateForm(ReplacementApproveForm):
    replacement = forms.IntegerField(widget=forms.HiddenInput)
    shipped_at = _instant(_("Shipped"))
    delivered_at = _instant(_("Delivered"))
    returned_at = _instant(_("Faulty unit returned"))
    agreed_delivery_at = _instant(_("Later delivery date agreed with the customer"))

    @classmethod
    def for_replacement(cls, replacement) -> "ReplacementUpdateForm":
        clock = replacement.delivery_clock
        return cls(
            initial={
                "replacement": replacement.pk,
                "replacement_serial": replacement.replacement_serial,
                "carrier": replacement.carrier,
                "tracking_number": replacement.tracking_number,
                "shipped_at": replacement.shipped_at,
                "delivered_at": replacement.delivered_at,
                "returned_at": replacement.returned_at,
                "agreed_delivery_at": clock.agreed_due_at if clock else None,
            },
            auto_id=f"id_rma{replacement.pk}_%s",
        )


class AllowanceUseForm(forms.Form):
    kind = forms.ChoiceField(label=_("What was done"), choices=AllowanceKind.choices)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, kinds=None, **kwargs):
        super().__init__(*args, **kwargs)
        if kinds is not None:  # only what the ticket's plan includes
            self.fields["kind"].choices = [(k, AllowanceKind(k).label) for k in kinds]


class ScheduledWorkAgreeForm(forms.Form):
    kind = forms.ChoiceField(label=_("Work"), choices=ScheduledWorkKind.choices)
    requested_at = _instant(_("Requested (empty: now)"))
    agreed_for = forms.DateTimeField(label=_("Carried out by"), widget=DateTimeLocalInput())

    def __init__(self, *args, kinds=None, **kwargs):
        super().__init__(*args, **kwargs)
        if kinds is not None:  # only what the ticket's plan includes
            self.fields["kind"].choices = [(k, ScheduledWorkKind(k).label) for k in kinds]


class ScheduledWorkRescheduleForm(forms.Form):
    scheduled_work = forms.IntegerField(widget=forms.HiddenInput)
    agreed_for = forms.DateTimeField(label=_("New date agreed with the customer"), widget=DateTimeLocalInput())

    @classmethod
    def for_work(cls, work) -> "ScheduledWorkRescheduleForm":
        return cls(initial={"scheduled_work": work.pk, "agreed_for": work.agreed_for}, auto_id=f"id_sw{work.pk}_%s")


class ScheduledWorkDoneForm(forms.Form):
    scheduled_work = forms.IntegerField(widget=forms.HiddenInput)
    done_at = _instant(_("Done (empty: now)"))

    @classmethod
    def for_work(cls, work) -> "ScheduledWorkDoneForm":
        return cls(initial={"scheduled_work": work.pk}, auto_id=f"id_swdone{work.pk}_%s")
