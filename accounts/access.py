"""Who may open a page. `login_required` alone does not check the second factor: these do."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from two_factor.utils import default_device

from .sessions import reauth_is_recent, reauth_redirect


def otp_required(view):
    """A logged-in user whose session passed the second factor; one without a device enrols first."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and user.is_verified():
            return view(request, *args, **kwargs)
        if user.is_authenticated and default_device(user) is None:
            return redirect_to_login(request.get_full_path(), reverse("two_factor:setup"))
        return redirect_to_login(request.get_full_path())

    return wrapper


def verified_required(view):
    """`otp_required`, and the account passed verification (SPEC §3); otherwise the verification form."""

    @otp_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_company_user:
            return redirect("accounts:verify")
        return view(request, *args, **kwargs)

    return wrapper


def customer_required(view):
    """A verified customer user: contract pages. A partner sees no contract data, so gets a 404."""

    @verified_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_verified_customer:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def reauth_required(view):
    """The password was entered in this session within `MYHEZO_REAUTH_MINUTES` (logging in counts); otherwise
    the re-authentication page, which comes back here. For changes of the second factor (ASVS V7.5.1)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not reauth_is_recent(request):
            return reauth_redirect(request)
        return view(request, *args, **kwargs)

    return wrapper
