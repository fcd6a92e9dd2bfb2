from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
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
