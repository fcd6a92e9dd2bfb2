from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .forms import ContactForm
from .services import contact_message_submit


@require_GET
def home(request):
    if request.user.is_authenticated:
        return redirect("portal:dashboard")
    return render(request, "core/home.html")


def contact(request):
    form = ContactForm(request.POST or None)
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
