from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import ContactMessage, OutboxEmail
from .names import person_name


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "subject", "recipients", "status", "attempts", "sent_at"]
    list_filter = ["status", "template", "language"]
    search_fields = ["subject", "to"]
    readonly_fields = [f.name for f in OutboxEmail._meta.fields]

    @admin.display(description=_("recipients"))
    def recipients(self, obj):
        return ", ".join(obj.to)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ContactMessage)
class ContactMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "name_shown", "email", "company_name", "phone"]
    search_fields = ["name", "email", "company_name", "message"]

    @admin.display(description=_("name"), ordering="name")
    def name_shown(self, message: ContactMessage) -> str:
        return person_name(message.name)  # a deleted account's marker, in the reader's language

    readonly_fields = [f.name for f in ContactMessage._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
