import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString

from core.dates import relative_display
from core.fragments import CSRF_HOLE, csrf_filled, fragment
from core.names import person_name

register = template.Library()


@register.filter
def person(stored: str) -> str:
    """A person's stored name as the reader sees it (core/names.py): "Deleted user" in the reader's language."""
    return person_name(stored)


@register.filter
def relative(instant) -> str:
    """How far an instant is from now (core/dates.py), e.g. "in 40 min"; empty for None."""
    return relative_display(instant) if instant else ""


BREAK_AFTER = re.compile(r"([@._\-/])")


@register.filter
def breakable(text) -> SafeString:
    """An e-mail address or file name that may wrap on a narrow screen: after "@", ".", "-", "_" and
    "/" rather than at any letter (a line break there reads naturally; the text itself is unchanged)."""
    return SafeString(BREAK_AFTER.sub(r"\1<wbr>", str(escape(text))))


@register.simple_tag(takes_context=True)
def site_header(context) -> SafeString:
    """The page header (includes/site_header.html), remembered per language, kind of user, name, address and
    path (core/fragments.py); only the CSRF field, which changes on every request, is filled in afterwards."""
    # A page drawn without a request (none of ours, but Django's own error views do that) gets no forms' state.
    request, user = context.get("request"), context.get("user")
    authenticated = user is not None and user.is_authenticated
    html = fragment(
        "includes/site_header.html",
        authenticated=authenticated,
        customer=authenticated and user.is_verified_customer,
        partner=authenticated and user.is_verified_partner,
        short_name=user.get_short_name() if authenticated else "",
        email=user.email if authenticated else "",
        next_path=request.get_full_path() if request is not None else "/",
        csrf_input=CSRF_HOLE,
    )
    return csrf_filled(html, request)


@register.simple_tag(takes_context=True)
def site_footer(context) -> SafeString:
    """The page footer (includes/site_footer.html): the helpdesk's contacts, remembered per language."""
    return fragment(
        "includes/site_footer.html",
        helpdesk_phone=context.get("helpdesk_phone", ""),
        helpdesk_email=context.get("helpdesk_email", ""),
    )


@register.inclusion_tag("includes/form_fields.html")
def form_fields(form) -> dict:
    """includes/form_fields.html for `form`: its errors, hidden fields and labelled visible fields."""
    return {"form": form}
