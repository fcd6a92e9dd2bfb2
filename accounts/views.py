from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_ratelimit.core import is_ratelimited

from .access import otp_required
from .forms import ActivationResendForm, PasswordResetForm, RegistrationForm, VerificationForm
from .services import VerificationFailed, activation_resend, user_activate, user_register, user_verify
from .tokens import activation_token_user


class LogoutView(auth_views.LogoutView):
    pass


@sensitive_post_parameters("password1", "password2")
def register(request):
    if request.user.is_authenticated:
        return redirect("core:dashboard")
    form = RegistrationForm(request.POST or None, initial={"language": request.LANGUAGE_CODE})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
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
        return redirect("accounts:register_done")
    return render(request, "accounts/register.html", {"form": form})


def register_done(request):
    return render(request, "accounts/register_done.html")


@never_cache
def activate(request, token: str):
    """GET shows a button, POST activates: mail scanners that open links must not use up the link or get
    a logged-in session."""
    user = activation_token_user(token)
    if user is None:
        return render(request, "accounts/activation_invalid.html", status=400)
    if request.method == "POST":
        user = user_activate(user=user)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Your account is active. Now set up the second login factor."))
        return redirect("accounts:after_activation")
    return render(request, "accounts/activate.html", {"activation_user": user})


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
    if request.user.company_id is not None:
        return redirect("core:dashboard")
    form = VerificationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if _verification_throttled(request):
            form.add_error(None, _("Too many attempts. Wait a few minutes and try again, or contact the helpdesk."))
            status = 429
        elif form.is_valid():
            try:
                user_verify(
                    user=request.user,
                    contract_number=form.cleaned_data["contract_number"],
                    serial=form.cleaned_data["serial"],
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
                return redirect("core:dashboard")
    return render(request, "accounts/verify.html", {"form": form}, status=status)


class PasswordResetView(auth_views.PasswordResetView):
    """The same answer whether or not the address has an account; requests are throttled per address and
    per IP so the form cannot flood a mailbox."""

    form_class = PasswordResetForm
    template_name = "accounts/password_reset.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        by_email = is_ratelimited(
            self.request, group="reset", key=lambda _g, _r: email, rate="3/h", method="POST", increment=True
        )
        by_ip = is_ratelimited(self.request, group="reset-ip", key="ip", rate="20/h", method="POST", increment=True)
        if by_email or by_ip:
            return redirect(self.success_url)  # same page as a sent e-mail: reveals nothing
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    # No login after the reset: the next login asks for the second factor as always.
    post_reset_login = False
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
