from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Company, Contract, ContractLine, ServicePlan, SlaTarget
from .nip import nip_parse
from .notation import contract_number_parse, search_term_alternatives
from .services import contract_line_add, contract_save


class NotationSearchMixin:
    """An admin search that also finds what the term means in the portal's notations: `(H1)-FG100FTK20001234`
    finds the serial, `PL 526-025-02-74` the NIP, `c300010` the contract (contracts.notation)."""

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        for alternative in search_term_alternatives(search_term):
            more, more_duplicates = super().get_search_results(request, queryset, alternative)
            results, may_have_duplicates = results | more, may_have_duplicates or more_duplicates
        return results, may_have_duplicates


class CompanyForm(forms.ModelForm):
    # Typed as people write it (`PL 951-235-98-48`), stored as its 10 digits.
    nip = forms.CharField(label=_("NIP"), max_length=20)

    class Meta:
        model = Company
        fields = ["nip", "name"]

    def clean_nip(self):
        return nip_parse(self.cleaned_data["nip"])


class ContractForm(forms.ModelForm):
    class Meta:
        model = Contract
        fields = ["number", "customer", "reseller", "plan", "starts_on", "ends_on"]

    def clean_number(self):
        return contract_number_parse(self.cleaned_data["number"])


@admin.register(Company)
class CompanyAdmin(NotationSearchMixin, admin.ModelAdmin):
    form = CompanyForm
    list_display = ["name", "nip_display", "updated_at"]
    search_fields = ["name", "nip"]


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 0
    max_num = 3


@admin.register(ServicePlan)
class ServicePlanAdmin(admin.ModelAdmin):
    list_display = ["name"]
    inlines = [SlaTargetInline]


class ContractLineForm(forms.ModelForm):
    class Meta:
        model = ContractLine
        fields = ["serial_raw", "model"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The serial fixes the line's service index: a different device is a new line.
            self.fields["serial_raw"].disabled = True


class ContractLineInline(admin.TabularInline):
    model = ContractLine
    form = ContractLineForm
    fields = ["serial_raw", "model", "service_index", "notation"]
    readonly_fields = ["service_index", "notation"]
    extra = 1

    def get_queryset(self, request):
        return super().get_queryset(request).with_serial_line_count()

    @admin.display(description=_("serial number"))
    def notation(self, obj):
        return obj.notation if obj.pk else "—"

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Contract)
class ContractAdmin(NotationSearchMixin, admin.ModelAdmin):
    form = ContractForm
    list_display = ["number", "customer", "reseller", "plan", "starts_on", "ends_on"]
    list_filter = ["plan", "ends_on"]
    list_select_related = ["customer", "reseller", "plan"]
    search_fields = ["number", "customer__nip", "customer__name", "reseller__nip", "reseller__name", "lines__serial"]
    autocomplete_fields = ["customer", "reseller"]
    inlines = [ContractLineInline]

    def save_model(self, request, obj, form, change):
        # Through the service: a changed reseller ends the consents given to the former one, in this transaction.
        contract_save(contract=obj, actor=request.user)

    def save_formset(self, request, form, formset, change):
        if formset.model is not ContractLine:
            return super().save_formset(request, form, formset, change)
        for line in formset.save(commit=False):
            if line.pk is None:
                contract_line_add(contract=form.instance, serial_raw=line.serial_raw, model=line.model)
            else:
                line.save(update_fields=["model"])
        return None
