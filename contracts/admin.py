from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Company, Contract, ContractLine, ServicePlan, SlaTarget
from .services import contract_line_add, contract_save


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
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
class ContractAdmin(admin.ModelAdmin):
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
