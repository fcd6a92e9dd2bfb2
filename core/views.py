import sys

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.defaults import server_error as django_server_error
from django_ratelimit.core import is_ratelimited

from .forms import ContactForm
from .services import contact_message_submit


@require_GET
def home(request):
    if request.user.is_authenticated:
        return redirect("portal:dashboard")
    return render(request, "core/home.html")


def contact(request):
    form = ContactForm(request.POST if request.method == "POST" else None)
    throttled = request.method == "POST" and is_ratelimited(
        request, group="contact-ip", key="ip", rate=settings.MYHEZO_CONTACT_RATE_PER_IP, method="POST", increment=True
    )
    if throttled:
        form.is_valid()  # the fields keep what was typed
        form.add_error(None, _("You have sent several messages in a short time. Wait an hour, or call the helpdesk."))
        return render(request, "core/contact.html", {"form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        contact_message_submit(**form.cleaned_data, language=get_language())
        messages.success(request, _("Thank you. Your message has been sent to the helpdesk; we will reply by e-mail."))
        return redirect("core:contact")
    return render(request, "core/contact.html", {"form": form})


@never_cache
@require_GET
def healthz(request):
    """Liveness for load balancers and the benchmark's ceiling: no database, no session."""
    return HttpResponse("ok", content_type="text/plain")


# Seconds a client is asked to wait before trying again while the database is unreachable.
DATABASE_DOWN_RETRY_AFTER = 30


def database_unreachable(exc: BaseException | None) -> bool:
    """Whether an exception means the database cannot be reached (a refused or broken connection), as opposed to
    a fault in a query. Django raises its own OperationalError/InterfaceError for those, for every backend."""
    return isinstance(exc, OperationalError | InterfaceError)


@never_cache
def server_error(request):
    """handler500: every exception no view or middleware handled ends here (Django calls it from inside its
    `except` block, so `sys.exc_info()` is that exception). While the database is unreachable the answer is 503
    with `Retry-After` and a page in both languages drawn from a plain template: no database, no session, no
    user, no context processor. Anything else is Django's own 500 page.

    A middleware's `process_exception` would not do: it sees only exceptions raised by a view, and the first
    query of most requests runs in a middleware (the session's user, loaded by the second-factor middleware).
    """
    if not database_unreachable(sys.exc_info()[1]):
        return django_server_error(request)
    # The outer middlewares look at the user on the way out (Cache-Control): loading it again would only fail again.
    request.user = AnonymousUser()
    html = loader.get_template("503.html").render(
        {"phone": settings.MYHEZO_HELPDESK_PHONE, "email": settings.MYHEZO_HELPDESK_EMAIL}
    )
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(DATABASE_DOWN_RETRY_AFTER)
    return response


@never_cache
def csrf_failure(request, reason: str = ""):
    """CSRF_FAILURE_VIEW: a form came back without its valid token (the page was open too long, was opened
    before a login or logout, or the browser refused the cookie). A page in the portal's frame and the reader's
    language (the locale middleware has run), with a way back to the page the form was on; never Django's
    debugging hints, and nothing the request asked for is done."""
    referer = request.META.get("HTTP_REFERER", "")
    same_site = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    back = referer if referer and same_site else ""
    return render(request, "403_csrf.html", {"back": back}, status=403)
