import contextlib

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice

from contracts.admin import NotationSearchMixin
from core.names import person_name

from .clients import client_info
from .forms import AdminUserChangeForm, AdminUserCreationForm
from .models import AuthEvent, User
from .services import password_changed_notify, user_delete_anonymise, user_sessions_end

# Backup codes are accounts.otp_hashed's (hashed); django-otp's plain-text tokens must not come back by hand.
with contextlib.suppress(NotRegistered):
    admin.site.unregister(StaticDevice)


@admin.register(User)
class UserAdmin(NotationSearchMixin, DjangoUserAdmin):
    form = AdminUserChangeForm
    add_form = AdminUserCreationForm
    ordering = ["email"]
    list_display = [
        "email",
        "first_name_shown",
        "last_name",
        "nip",
        "company",
        "role",
        "verified_at",
        "is_active",
        "is_staff",
    ]
    list_filter = ["role", "is_active", "is_staff", "is_superuser", "language"]

    @admin.display(description=_("first name"), ordering="first_name")
    def first_name_shown(self, user: User) -> str:
        return person_name(user.first_name)  # a deleted account's marker, in the reader's language

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
    actions = ["sessions_end", "delete_anonymise"]
    # Engineers (the "Engineers" group: view and change users) lock accounts and see verification; who is an
    # engineer, a superuser or holds which permissions only a superuser decides, and only a superuser changes a
    # superuser's account.
    SUPERUSER_ONLY_FIELDS = ["is_staff", "is_superuser", "groups", "user_permissions"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += self.SUPERUSER_ONLY_FIELDS
        return fields

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def _superusers_refused(self, request, users) -> bool:
        if request.user.is_superuser or not any(user.is_superuser for user in users):
            return False
        self.message_user(request, _("Only a superuser can do this to a superuser's account."), messages.ERROR)
        return True

    def user_change_password(self, request, id, form_url=""):
        # A password set here ends the account's other sessions as the portal's own change does: Django's session
        # hash already refuses them; this takes them off "Your sessions", logs it and tells the account's address.
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                user = self.get_object(request, unquote(id))
                own = user.pk == request.user.pk
                password_changed_notify(
                    user=user,
                    reset=False,
                    client=client_info(request),
                    keep_session_key=request.session.session_key if own else None,
                )
        return response

    @admin.action(description=_("End all sessions of the selected users"), permissions=["change"])
    def sessions_end(self, request, queryset):
        if self._superusers_refused(request, queryset):
            return
        for user in queryset:
            user_sessions_end(user=user, reason=f"ended by {request.user.email}", client=client_info(request))
        count = queryset.count()
        self.message_user(
            request,
            ngettext("The sessions of %(count)d user were ended.", "The sessions of %(count)d users were ended.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Delete and anonymise the selected users (GDPR)"), permissions=["change"])
    def delete_anonymise(self, request, queryset):
        """The same as a user's "Delete my account", after a confirmation page. An engineer cannot do it to
        their own account (another engineer can)."""
        users = list(queryset.order_by("email"))
        if any(user.pk == request.user.pk for user in users):
            self.message_user(request, _("You cannot delete your own account here."), messages.ERROR)
            return None
        if self._superusers_refused(request, users):
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
            user_delete_anonymise(user=user, by_engineer=request.user, client=client_info(request))
        self.message_user(
            request,
            ngettext(
                "%(count)d user was deleted and anonymised.", "%(count)d users were deleted and anonymised.", len(users)
            )
            % {"count": len(users)},
            messages.SUCCESS,
        )
        return None


@admin.register(AuthEvent)
class AuthEventAdmin(admin.ModelAdmin):
    """The authentication log, read-only, for every engineer."""

    list_display = ["at", "kind", "email", "user", "ip", "detail", "user_agent"]
    list_filter = ["kind", "at"]
    search_fields = ["email", "=ip", "detail"]
    date_hierarchy = "at"
    list_select_related = ["user"]
    list_per_page = 100
    show_full_result_count = False
    readonly_fields = [f.name for f in AuthEvent._meta.fields]

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
