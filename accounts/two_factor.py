"""django-two-factor-auth wired into the portal: its views at the portal's URLs, with its URL names.

The views keep the `two_factor` namespace that the package's templates and redirects use; the paths
are the portal's (`/accounts/login/`, SPEC §11). Backup codes are the portal's hashed ones
(`accounts.otp_hashed`), not django-otp's plain-text static tokens. Every change of the second factor needs a
recent password (`reauth_required`), ends the user's other sessions, keeps this one under a new key, is logged
and e-mailed (accounts/services.py).
"""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import NON_FIELD_ERRORS
from django.shortcuts import redirect, render
from django.urls import path, reverse, reverse_lazy
from django.utils import formats, timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView
from django_otp import user_has_device
from django_otp.models import VerifyNotAllowed
from django_otp.util import random_hex
from two_factor import views as tf_views
from two_factor.forms import DisableForm, MethodForm
from two_factor.utils import default_device, get_otpauth_url

from core.text import email_canonical

from .access import otp_required, reauth_required
from .clients import client_info
from .forms import AUTHENTICATOR_CODE_LABEL, BACKUP_CODE_LABEL, AuthenticatorSetupForm, code_field_shape
from .models import AuthEvent
from .onboarding import (
    AUTHENTICATOR_KEY_PENDING,
    BACKUP_CODES_PENDING,
    Step,
    onboarding_step,
    onboarding_step_url,
    onboarding_steps,
)
from .otp_hashed.models import BackupCodeDevice
from .selectors import backup_codes_remaining
from .services import auth_event_record, backup_codes_generate, second_factor_disable, second_factor_enrol
from .sessions import reauth_is_recent, reauth_redirect, reauth_stamp, session_keep
from .throttle import known_device_remember, password_attempt_refused

ISSUER = "myHEZO"


def otp_locked_until(form):
    """When the device of a second-factor form is waiting after wrong codes: until when (UTC); else None."""
    device = getattr(form, "initial_device", None)
    if device is None:
        return None
    allowed, extra = device.verify_is_allowed()
    if allowed or (extra or {}).get("reason") != VerifyNotAllowed.N_FAILED_ATTEMPTS:
        return None
    return extra.get("locked_until")


def otp_failures(form) -> int:
    return form.initial_device.throttling_failure_count


class LoginView(tf_views.LoginView):
    template_name = "two_factor/core/login.html"
    redirect_authenticated_user = False

    def post(self, *args, **kwargs):
        """Password attempts are throttled (accounts/throttle.py): the counts expire with their window, so
        nobody is locked out for good. Wrong codes are slowed down by django-otp per device."""
        username = email_canonical(self.request.POST.get("auth-username", ""))
        if username and password_attempt_refused(self.request, username):
            messages.error(
                self.request,
                _("Too many login attempts. Wait a few minutes and try again, or contact the helpdesk."),
            )
            response = self.render(self.get_form())
            response.status_code = 429
            return response
        return super().post(*args, **kwargs)

    def get_form(self, step=None, **kwargs):
        form = super().get_form(step, **kwargs)
        step = step or self.steps.current
        if step == self.TOKEN_STEP:
            code_field_shape(form, "otp_token", label=AUTHENTICATOR_CODE_LABEL)
        elif step == self.BACKUP_STEP:
            code_field_shape(form, "otp_token", label=BACKUP_CODE_LABEL, numeric=False)
        return form

    def get_device(self, step=None):
        if step == self.BACKUP_STEP:
            return BackupCodeDevice.objects.filter(user=self.get_user(), confirmed=True).first()
        return super().get_device(step)

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form, **kwargs)
        if self.steps.current == self.TOKEN_STEP:
            context["backup_tokens"] = backup_codes_remaining(self.get_user())
        return context

    def render(self, form=None, **kwargs):
        step = self.steps.current
        if step in (self.TOKEN_STEP, self.BACKUP_STEP) and form is not None and form.is_bound and form.errors:
            user = self.get_user() or None
            device_kind = "backup code" if step == self.BACKUP_STEP else "authenticator app"
            codes = [error.code or "invalid" for error in form.non_field_errors().as_data()]
            locked_until = None if "invalid_token" in codes else otp_locked_until(form)
            if locked_until is not None:
                # The code was not even checked: the device is waiting after wrong codes (django-otp's back-off,
                # capped in accounts/throttle.py). Each such try is logged, and the wait said in the user's language.
                auth_event_record(
                    kind=AuthEvent.Kind.OTP_THROTTLED,
                    client=client_info(self.request),
                    user=user,
                    detail=f"{device_kind}: {otp_failures(form)} wrong codes, wait until {locked_until:%H:%M:%S} UTC",
                )
                form.errors[NON_FIELD_ERRORS] = form.error_class(
                    [
                        _("Too many wrong codes. Wait until %(time)s, then try again.")
                        % {"time": formats.time_format(timezone.localtime(locked_until), "H:i:s")}
                    ]
                )
            else:
                auth_event_record(
                    kind=AuthEvent.Kind.OTP_FAILED,
                    client=client_info(self.request),
                    user=user,
                    detail=f"{device_kind}: {','.join(codes) or 'invalid'}",
                )
        return super().render(form, **kwargs)

    def done(self, form_list, **kwargs):
        password_at = self.storage.data.get("authentication_time")
        user = self.get_user()
        response = super().done(form_list, **kwargs)
        if self.request.user.is_authenticated:
            # The password was typed moments ago: it counts as a recent re-authentication.
            reauth_stamp(self.request, at=password_at)
            if getattr(user, "otp_device", None) is not None:
                known_device_remember(self.request, response, user.email)
        return response


class SetupView(tf_views.SetupView):
    """Enrolment of the authenticator app, and its replacement by a new one (a new phone). Replacing needs a
    session that passed the second factor and a recent password.

    One step: the QR code, the secret in text and the code field (the package's welcome step is dropped; the
    onboarding's step indicator says where the user is). The secret is kept in the session until the app is
    confirmed: the package keeps it in the wizard's storage, which every GET resets, so each reload showed a new
    secret and a code from an app set up with the first one failed."""

    form_list = (("method", MethodForm),)

    def dispatch(self, request, *args, **kwargs):
        """Enrolment is for a user without a second factor, or one who passed it in this session. The package
        sends such a user away on GET only; its POST would let a session that passed just the password enrol
        a device of its own and come out verified, skipping the code. Replacing an app also needs a recent
        password."""
        user = request.user
        if user.is_authenticated and user_has_device(user):
            if not user.is_verified():
                return redirect_to_login(request.get_full_path())
            if request.session.get(BACKUP_CODES_PENDING):
                # The app was just set up: the backup codes come next, not a second app.
                return redirect(onboarding_step_url(request))
            if default_device(user) is not None and not reauth_is_recent(request):
                return reauth_redirect(request)
        return super().dispatch(request, *args, **kwargs)

    def post(self, *args, **kwargs):
        """A page from before the welcome step was dropped (or another stale form) posts a step that no longer
        exists: show the setup step again instead of failing."""
        posted_step = self.request.POST.get(f"{self.prefix}-current_step")
        if posted_step not in self.get_form_list() and "wizard_goto_step" not in self.request.POST:
            self.storage.reset()
            self.storage.current_step = self.steps.first
            return self.render(self.get_form())
        return super().post(*args, **kwargs)

    def get_form_list(self):
        form_list = super().get_form_list()
        if "generator" in form_list:
            form_list["generator"] = AuthenticatorSetupForm
        return form_list

    def get_key(self, step):
        if step != "generator":
            return super().get_key(step)
        key = self.request.session.get(AUTHENTICATOR_KEY_PENDING)
        if not key:
            key = random_hex(20)
            self.request.session[AUTHENTICATOR_KEY_PENDING] = key
        self.storage.extra_data.setdefault("keys", {})[step] = key
        return key

    def get(self, request, *args, **kwargs):
        # The package sends a user who has an app away; here that user may set up a replacement.
        return super(tf_views.SetupView, self).get(request, *args, **kwargs)

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form, **kwargs)
        if "secret_key" in context:
            # The authenticator app shows "myHEZO: <e-mail>" rather than the host name.
            context["issuer"] = ISSUER
            context["otpauth_url"] = get_otpauth_url(
                self.request.user.get_username(), context["secret_key"], ISSUER, context.get("totp_digits")
            )
        context["replacing"] = default_device(self.request.user) is not None
        user = self.request.user
        if not context["replacing"] and not user.is_staff and user.company_id is None:
            # A newcomer (not an engineer, nor a verified user setting up an app again after removing it).
            context["onboarding_steps"] = onboarding_steps(Step.AUTHENTICATOR)
        return context

    def get_success_url(self):
        # The backup codes come next; a `next` address is followed only when no codes were issued (done()).
        return reverse("two_factor:setup_complete")

    def done(self, form_list, **kwargs):
        self.request.session.pop(AUTHENTICATOR_KEY_PENDING, None)
        response = super().done(form_list, **kwargs)
        device = getattr(self.request.user, "otp_device", None)
        if device is not None:
            codes = second_factor_enrol(user=self.request.user, device=device, client=client_info(self.request))
            session_keep(self.request, self.request.user)
            if codes:
                self.request.session[BACKUP_CODES_PENDING] = codes
            else:
                messages.success(self.request, _("Your new authenticator app is set up. Your backup codes still work."))
                return redirect(self.get_redirect_url() or reverse("two_factor:profile"))
        return response


@method_decorator([never_cache, otp_required], name="dispatch")
class SetupCompleteView(TemplateView):
    """The backup codes issued with the authenticator app, shown once: they leave the session as this page is
    rendered. Opened again (or without codes waiting), it sends the user to the step they are on."""

    template_name = "two_factor/core/setup_complete.html"

    def get(self, request, *args, **kwargs):
        codes = request.session.pop(BACKUP_CODES_PENDING, None)
        if not codes:
            return redirect(onboarding_step_url(request))
        onboarding = onboarding_step(request) == Step.VERIFICATION
        context = {
            "codes": codes,
            "next_url": onboarding_step_url(request),
            "onboarding_steps": onboarding_steps(Step.BACKUP_CODES) if onboarding else None,
        }
        return self.render_to_response(self.get_context_data(**context))


@method_decorator([never_cache, otp_required], name="dispatch")
class BackupTokensView(TemplateView):
    """How many backup codes are left; a new set replaces them and is shown once, in this response only."""

    template_name = "two_factor/core/backup_tokens.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "remaining": backup_codes_remaining(self.request.user)}

    @method_decorator(reauth_required)
    def post(self, request, *args, **kwargs):
        codes = backup_codes_generate(user=request.user, client=client_info(request))
        session_keep(request, request.user)
        return render(request, self.template_name, {"codes": codes, "remaining": len(codes)})


@method_decorator([never_cache, otp_required, reauth_required], name="dispatch")
class DisableView(FormView):
    """Remove the authenticator app and the backup codes; the next page asks for a new app."""

    template_name = "two_factor/profile/disable.html"
    form_class = DisableForm
    success_url = reverse_lazy("portal:dashboard")

    def form_valid(self, form):
        second_factor_disable(user=self.request.user, client=client_info(self.request))
        session_keep(self.request, self.request.user)
        messages.info(self.request, _("The second factor is removed. Set up your authenticator app again."))
        return redirect(self.get_success_url())


@method_decorator([never_cache, otp_required], name="dispatch")
class ProfileView(tf_views.ProfileView):
    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "backup_tokens": backup_codes_remaining(self.request.user)}


urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("two-factor/", ProfileView.as_view(), name="profile"),
    path("two-factor/setup/", SetupView.as_view(), name="setup"),
    path("two-factor/qrcode/", tf_views.QRGeneratorView.as_view(), name="qr"),
    path("two-factor/setup/complete/", SetupCompleteView.as_view(), name="setup_complete"),
    path("two-factor/backup-tokens/", BackupTokensView.as_view(), name="backup_tokens"),
    path("two-factor/disable/", DisableView.as_view(), name="disable"),
]
