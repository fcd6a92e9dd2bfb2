"""django-two-factor-auth wired into the portal: its views at the portal's URLs, with its URL names.

The views keep the `two_factor` namespace that the package's templates and redirects use; the paths
are the portal's (`/accounts/login/`, SPEC §11).
"""

from django.urls import path
from two_factor import views as tf_views
from two_factor.utils import get_otpauth_url

ISSUER = "myHEZO"


class LoginView(tf_views.LoginView):
    template_name = "two_factor/core/login.html"
    redirect_authenticated_user = False


class SetupView(tf_views.SetupView):
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
