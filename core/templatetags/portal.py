from django import template
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString

from core.fragments import fragment, fragment_keyed

register = template.Library()

# Where the header's two forms take their CSRF field. Nothing a user types can produce it: names, addresses and
# paths in the header are escaped, so a "<" never reaches the HTML as such.
CSRF_HOLE = SafeString("<!--csrf-->")


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
    field = ""
    if request is not None:
        field = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request))
    return SafeString(html.replace(CSRF_HOLE, field))


@register.simple_tag
def form_fields(form) -> SafeString:
    """includes/form_fields.html for `form`. An empty form of a class whose fields never change
    (`fields_are_static = True`: no choices from the database, no initial values) is drawn once per language."""
    context = {"form": form}
    if not form.is_bound and not form.initial and getattr(form, "fields_are_static", False):
        key = (type(form).__module__, type(form).__qualname__, form.prefix)
        return fragment_keyed("includes/form_fields.html", key=key, context=context)
    return SafeString(render_to_string("includes/form_fields.html", context))
