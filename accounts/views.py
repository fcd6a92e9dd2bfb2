import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language
from django_otp import user_has_device
from django_ratelimit.core import is_ratelimited

from core.text import email_canonical

from .access import otp_required
from .clients import client_info
from .forms import (
    AccountDeleteForm,
    ActivationResendForm,
    EmailChangeForm,
    LanguageForm,
    PasswordChangeForm,
    PasswordResetForm,
    ReauthenticationForm,
    RegistrationForm,
    VerificationForm,
)
from .models import UserSession
from .onboarding import Step, onboarding_step, onboarding_step_url, onboarding_steps
from .selectors import user_sessions_active
from .services import (
    EmailChangeLinkUsed,
    EmailTaken,
    VerificationFailed,
    activation_resend,
    email_change_confirm,
    email_change_request,
    password_changed_notify,
    user_activate,
    user_data_export,
    user_delete_anonymise,
    user_language_set,
    user_register,
    user_session_end,
    user_sessions_end_others,
    user_verify,
)
from .sessions import reauth_done
from .throttle import lockout_record
from .tokens import activation_token_user, email_change_token_read


@sensitive_post_parameters("password1", "password2")
def register(request):
    if request.user.is_authenticated:
        return redirect(onboarding_step_url(request))
    form = RegistrationForm(
        request.POST if request.method == "POST" else None, initial={"language": request.LANGUAGE_CODE}
    )
    status = 200
    if request.method == "POST" and _register_throttled_by_ip(request):
        form.is_valid()  # the fields keep what was typed
        form.add_error(None, _("Too many registrations from your network. Try again in an hour."))
        status = 429
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _register_throttled_by_address(request, data["email"]):
            return redirect("accounts:register_done")  # the same answer, and nothing done
        try:
            user_register(
                email=data["email"],
                password=data["password1"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                phone=data["phone"],
                company_name=data["company_name"],
                nip=data["nip"],
                language=data["language"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("accounts:register_done")
    return render(
        request,
        "accounts/register.html",
        {"form": form, "onboarding_steps": onboarding_steps(Step.ACCOUNT)},
        status=status if form.errors else 200,
    )


def _register_throttled_by_ip(request) -> bool:
    return is_ratelimited(
        request, group="register-ip", key="ip", rate=settings.MYHEZO_REGISTER_RATE_PER_IP, method="POST", increment=True
    )


def _register_throttled_by_address(request, email: str) -> bool:
    canonical = email_canonical(email)
    return is_ratelimited(
        request,
        group="register-address",
        key=lambda _g, _r: canonical,
        rate=settings.MYHEZO_REGISTER_RATE_PER_ADDRESS,
        method="POST",
        increment=True,
    )


def register_done(request):
    return render(request, "accounts/register_done.html", {"onboarding_steps": onboarding_steps(Step.EMAIL)})


@never_cache
def activate(request, token: str):
    """GET shows a button, POST activates: mail scanners that open links must not use up the link or get
    a logged-in session."""
    user = activation_token_user(token)
    if user is None:
        return render(request, "accounts/activation_invalid.html", status=400)
    if request.method == "POST":
        user = user_activate(user=user)
        login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        messages.success(request, _("Your account is active. Now set up the second login factor."))
        return redirect("accounts:after_activation")
    return render(
        request, "accounts/activate.html", {"activation_user": user, "onboarding_steps": onboarding_steps(Step.EMAIL)}
    )


def activation_resend_view(request):
    form = ActivationResendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        activation_resend(email=form.cleaned_data["email"])
        messages.info(
            request,
            _(
                "If this address has an account that is not active yet, we have sent it a new activation link. "
                "Check your inbox."
            ),
        )
        return redirect("accounts:activation_resend")
    return render(request, "accounts/activation_resend.html", {"form": form})


def _verification_throttled(request) -> bool:
    """Per account and per IP: each POST counts, so the form cannot be used to test contract/serial pairs."""
    by_account = is_ratelimited(
        request, group="verify", key="user", rate=settings.MYHEZO_VERIFY_RATE_PER_ACCOUNT, method="POST", increment=True
    )
    by_ip = is_ratelimited(
        request, group="verify-ip", key="ip", rate=settings.MYHEZO_VERIFY_RATE_PER_IP, method="POST", increment=True
    )
    return by_account or by_ip


@otp_required
def verify(request):
    if request.user.is_staff:
        # Engineers are never company users (accounts.models.User.clean); the dashboard says where they work.
        return redirect("portal:dashboard")
    if request.user.company_id is not None:
        return redirect("portal:dashboard")
    if onboarding_step(request) != Step.VERIFICATION:
        return redirect(onboarding_step_url(request))  # the backup codes first
    form = VerificationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if _verification_throttled(request):
            lockout_record(request, email=request.user.email, user=request.user, name="verification", seconds_left=900)
            form.add_error(None, _("Too many attempts. Wait a few minutes and try again, or contact the helpdesk."))
            status = 429
        elif form.is_valid():
            try:
                user_verify(
                    user=request.user,
                    contract_number=form.cleaned_data["contract_number"],
                    serial=form.cleaned_data["serial"],
                    client=client_info(request),
                )
            except VerificationFailed:
                form.add_error(
                    None,
                    _(
                        "We could not verify your account with these details. Check the contract number and the "
                        "serial number, and that you registered with the NIP of the company on the contract."
                    ),
                )
            else:
                messages.success(request, _("Your account is verified."))
                return redirect("portal:dashboard")
    return render(
        request,
        "accounts/verify.html",
        {"form": form, "onboarding_steps": onboarding_steps(Step.VERIFICATION)},
        status=status,
    )


class PasswordResetView(auth_views.PasswordResetView):
    """The same answer whether or not the address has an account; requests are throttled per address and
    per IP so the form cannot flood a mailbox."""

    form_class = PasswordResetForm
    template_name = "accounts/password_reset.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        email = email_canonical(form.cleaned_data["email"])
        by_email = is_ratelimited(
            self.request, group="reset", key=lambda _g, _r: email, rate="3/h", method="POST", increment=True
        )
        by_ip = is_ratelimited(self.request, group="reset-ip", key="ip", rate="20/h", method="POST", increment=True)
        if by_email or by_ip:
            return redirect(self.success_url)  # same page as a sent e-mail: reveals nothing
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    # No login after the reset: the next login asks for the second factor as always. Every session of the
    # account ends (the session hash follows the password), and the account's address gets a notice.
    post_reset_login = False
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        password_changed_notify(user=form.user, reset=True, client=client_info(self.request))
        return response


@otp_required
def account_settings(request):
    form = LanguageForm(request.POST or None, initial={"language": request.user.language})
    if request.method == "POST" and form.is_valid():
        user_language_set(user=request.user, language=form.cleaned_data["language"])
        translation.activate(form.cleaned_data["language"])
        messages.success(request, _("Saved."))
        return redirect("accounts:settings")
    sessions = user_sessions_active(request.user, current_session_key=request.session.session_key)
    return render(request, "accounts/settings.html", {"language_form": form, "sessions": sessions})


@never_cache
@require_POST
@otp_required
def session_end(request, pk: int):
    """End one of my other sessions ("Your sessions"): 404 for a session that is not mine."""
    try:
        user_session_end(
            user=request.user,
            session_pk=pk,
            current_session_key=request.session.session_key,
            client=client_info(request),
        )
    except UserSession.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("The session has ended: that browser is logged out."))
    return redirect("accounts:settings")


@never_cache
@require_POST
@otp_required
def sessions_end_others(request):
    """End every session of mine but this one ("Your sessions")."""
    count = user_sessions_end_others(
        user=request.user, current_session_key=request.session.session_key, client=client_info(request)
    )
    messages.success(
        request,
        ngettext("%(count)d other session has ended.", "%(count)d other sessions have ended.", count)
        % {"count": count},
    )
    return redirect("accounts:settings")


@method_decorator(otp_required, name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PasswordChangeForm  # the old password checked like a login attempt
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:settings")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.throttled:
            response.status_code = 429
        return response

    def form_valid(self, form):
        # Django keeps this session (under a new key) and every other session of the user ends.
        response = super().form_valid(form)
        password_changed_notify(
            user=form.user,
            reset=False,
            client=client_info(self.request),
            keep_session_key=self.request.session.session_key,
        )
        messages.success(self.request, _("Your password has been changed."))
        return response


@otp_required
@sensitive_post_parameters("password")
def email_change(request):
    form = EmailChangeForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        email_change_request(user=request.user, new_email=form.cleaned_data["new_email"], client=client_info(request))
        messages.info(
            request,
            _(
                "We have sent a confirmation link to the new address. Your e-mail changes when you open it. "
                "Links sent before no longer work."
            ),
        )
        return redirect("accounts:settings")
    return render(request, "accounts/email_change.html", {"form": form}, status=429 if form.throttled else 200)


@never_cache
def email_change_confirm_view(request, token: str):
    """GET shows a button, POST confirms (mail scanners that open links must not use it up). A link works
    once, and only while it is the account's latest one (accounts.models.EmailChange)."""
    change = email_change_token_read(token)
    if change is None:
        return render(request, "accounts/email_change_invalid.html", status=400)
    if request.method == "POST":
        try:
            user = email_change_confirm(change=change, client=client_info(request))
        except EmailChangeLinkUsed:
            return render(request, "accounts/email_change_invalid.html", status=400)
        except EmailTaken:
            messages.error(request, _("This e-mail address is already used by another account."))
            return redirect("core:home")
        messages.success(request, _("Your e-mail address is now %(email)s.") % {"email": user.email})
        return redirect("portal:dashboard" if request.user.is_authenticated else "two_factor:login")
    return render(request, "accounts/email_change_confirm.html", {"new_email": change.new_email})


@never_cache
@otp_required
@sensitive_post_parameters("password")
def reauthenticate(request):
    """The password again before a change of the second factor, checked like a login attempt."""
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("accounts:settings")
    form = ReauthenticationForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        reauth_done(request)
        return redirect(next_url)
    return render(request, "accounts/reauthenticate.html", {"form": form}, status=429 if form.throttled else 200)


# --- GDPR: download my data, delete my account ---------------------------------------------------------


@never_cache
@otp_required
@require_GET
def data_export(request):
    """The user's own data as a JSON download (GDPR art. 15 and 20)."""
    data = user_data_export(user=request.user)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    filename = f"myhezo-data-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


@never_cache
@otp_required
@sensitive_post_parameters("password")
def account_delete(request):
    """Delete my account: the password again (throttled and logged like a login) and a confirmation, then the
    account is anonymised and every session of it ends. Engineers' accounts are closed by another engineer in
    the back office."""
    if request.user.is_staff:
        if request.method == "POST":
            raise PermissionDenied
        return render(request, "accounts/account_delete.html", {"form": None})
    form = AccountDeleteForm(request.POST or None, request=request)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            # The logout below is logged as the anonymised account, not under the address that just went.
            request.user = user_delete_anonymise(user=request.user, client=client_info(request))
            logout(request)
            messages.success(
                request, _("Your account has been deleted. Your company's tickets stay without your name.")
            )
            return redirect("core:home")
        status = 429 if form.throttled else 400
    return render(request, "accounts/account_delete.html", {"form": form}, status=status)


@require_POST
def language_switch(request):
    """The header's PL/EN switcher: remembers the choice in a cookie and, for a logged-in user, as their
    preference (which otherwise wins over the cookie)."""
    response = set_language(request)
    language = request.POST.get("language")
    user = request.user
    # A session that passed the password but not the user's second factor changes nothing in the account;
    # one still enrolling (no device yet) does, or its choice would lose to the stored preference.
    completed = user.is_authenticated and (user.is_verified() or not user_has_device(user))
    if completed and language in dict(settings.LANGUAGES):
        user_language_set(user=user, language=language)
    return response
