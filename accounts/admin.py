from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .forms import AdminUserChangeForm, AdminUserCreationForm
from .models import User
from .services import user_delete_anonymise


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
    actions = ["delete_anonymise"]

    @admin.action(description=_("Delete and anonymise the selected users (GDPR)"), permissions=["change"])
    def delete_anonymise(self, request, queryset):
        """The same as a user's "Delete my account", after a confirmation page. An engineer cannot do it to
        their own account (another engineer can)."""
        users = list(queryset.order_by("email"))
        if any(user.pk == request.user.pk for user in users):
            self.message_user(request, _("You cannot delete your own account here."), messages.ERROR)
            return None
        if request.POST.get("post") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": _("Delete and anonymise users"),
                "opts": self.model._meta,
                "users": users,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/accounts/user/delete_anonymise_confirmation.html", context)
        for user in users:
            user_delete_anonymise(user=user)
        self.message_user(
            request,
            ngettext(
                "%(count)d user was deleted and anonymised.", "%(count)d users were deleted and anonymised.", len(users)
            )
            % {"count": len(users)},
            messages.SUCCESS,
        )
        return None
