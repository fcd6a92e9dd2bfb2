from django.contrib import admin

from .models import InboundMessage


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    """What the receiver did with each inbound e-mail: read only (a superuser may delete a record)."""

    list_display = ["received_at", "sender", "subject", "outcome", "ticket", "answered"]
    list_filter = ["outcome", "answered"]
    search_fields = ["sender", "subject", "key"]
    list_select_related = ["ticket"]
    readonly_fields = [field.name for field in InboundMessage._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
