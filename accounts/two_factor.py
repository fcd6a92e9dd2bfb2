"""django-two-factor-auth wired into the portal: its views at the portal's URLs, with its URL names.

The views keep the `two_factor` namespace that the package's templates and redirects use; the paths
are the portal's (`/accounts/login/`, SPEC §11).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.urls import path
from django.utils.translation import gettext as _
from django_otp import user_has_device
from django_ratelimit.core import is_ratelimited
from two_factor import views as tf_views
from two_factor.utils import get_otpauth_url

from .models import email_normalize

ISSUER = "myHEZO"


class LoginView(tf_views.LoginView):
    template_name = "two_factor/core/login.html"
    redirect_authenticated_user = False

    def post(self, *args, **kwargs):
        """Password attempts are throttled per login and per client IP; the counts expire with their window,
        so nobody is locked out for good. Wrong codes are slowed down by django-otp per device."""
        username = email_normalize(self.request.POST.get("auth-username", ""))
        if username and self._password_attempts_throttled(username):
            messages.error(
                self.request,
                _("Too many login attempts. Wait a few minutes and try again, or contact the helpdesk."),
            )
            response = self.render(self.get_form())
            response.status_code = 429
            return response
        return super().post(*args, **kwargs)

    def _password_attempts_throttled(self, username: str) -> bool:
        by_login = is_ratelimited(
            self.request,
            group="login",
            key=lambda _group, _request: username,
            rate=settings.MYHEZO_LOGIN_RATE_PER_ACCOUNT,
            method="POST",
            increment=True,
        )
        by_ip = is_ratelimited(
            self.request,
            group="login-ip",
            key="ip",
            rate=settings.MYHEZO_LOGIN_RATE_PER_IP,
            method="POST",
            increment=True,
        )
        return by_login or by_ip


class SetupView(tf_views.SetupView):
    def dispatch(self, request, *args, **kwargs):
        """Enrolment is for a user without a second factor, or one who passed it in this session. The package
        sends such a user away on GET only; its POST would let a session that passed just the password enrol
        a device of its own and come out verified, skipping the code."""
        user = request.user
        if user.is_authenticated and not user.is_verified() and user_has_device(user):
            return redirect_to_login(request.get_full_path())
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form, **kwargs)
        if "secret_key" in context:
            # The authenticator app shows "myHEZO: <e-mail>" rather than the host name.
            context["issuer"] = ISSUER
            context["otpauth_url"] = get_otpauth_url(
                self.request.user.get_username(), context["secret_key"], ISSUER, context.get("totp_digits")
            )
        return context


urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("two-factor/", tf_views.ProfileView.as_view(), name="profile"),
    path("two-factor/setup/", SetupView.as_view(), name="setup"),
    path("two-factor/qrcode/", tf_views.QRGeneratorView.as_view(), name="qr"),
    path("two-factor/setup/complete/", tf_views.SetupCompleteView.as_view(), name="setup_complete"),
    path("two-factor/backup-tokens/", tf_views.BackupTokensView.as_view(), name="backup_tokens"),
    path("two-factor/disable/", tf_views.DisableView.as_view(), name="disable"),
]
