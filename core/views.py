from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language
from django_otp import user_has_device

from accounts.access import otp_required
from accounts.services import user_language_set
from contracts.selectors import active_contract_summaries

from .forms import ContactForm
from .fragments import fragment
from .services import contact_message_submit


@require_GET
def home(request):
    if request.user.is_authenticated:
        return redirect("core:dashboard")
    return render(request, "core/home.html")


@otp_required
def dashboard(request):
    cards = [fragment("core/_contract_card.html", contract=c) for c in active_contract_summaries(request.user)]
    return render(request, "core/dashboard.html", {"contract_cards": cards})


def contact(request):
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        contact_message_submit(**form.cleaned_data, language=get_language())
        messages.success(request, _("Thank you. Your message has been sent to the helpdesk; we will reply by e-mail."))
        return redirect("core:contact")
    return render(request, "core/contact.html", {"form": form})


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


@never_cache
@require_GET
def healthz(request):
    """Liveness for load balancers and the benchmark's ceiling: no database, no session."""
    return HttpResponse("ok", content_type="text/plain")
