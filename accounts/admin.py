from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .forms import AdminUserChangeForm, AdminUserCreationForm
from .models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = AdminUserChangeForm
    add_form = AdminUserCreationForm
    ordering = ["email"]
    list_display = [
        "email",
        "first_name",
        "last_name",
        "nip",
        "company",
        "role",
        "verified_at",
        "is_active",
        "is_staff",
    ]
    list_filter = ["role", "is_active", "is_staff", "is_superuser", "language"]
    list_select_related = ["company"]
    autocomplete_fields = ["company"]
    search_fields = ["email", "first_name", "last_name", "company_name", "nip"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal data"), {"fields": ["first_name", "last_name", "phone", "company_name", "nip", "language"]}),
        (_("Verification"), {"fields": ["company", "role", "verified_at"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
