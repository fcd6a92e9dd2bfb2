from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from .forms import ActivationResendForm, RegistrationForm
from .services import activation_resend, user_activate, user_register
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
