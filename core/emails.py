"""The one helper that renders an e-mail: `<name>_subject.txt`, `<name>.txt` and `<name>.html`, in the
recipient's language."""

from dataclasses import dataclass

from django.conf import settings
from django.template import Context
from django.template.loader import get_template
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

# The line above which a reply by e-mail is read (SPEC §9): at the top of every e-mail that can be answered,
# in its reader's language. The receiver cuts a reply at this line in any of the portal's languages.
REPLY_MARKER = gettext_noop("Reply above this line or in the portal")


def reply_marker_line(language: str) -> str:
    with translation.override(language):
        return f"## {gettext(REPLY_MARKER)} ##"


def reply_marker_lines() -> list[str]:
    """The marker in every language of the portal."""
    return [reply_marker_line(code) for code, _name in settings.LANGUAGES]


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def _render_plain(name: str, context: dict) -> str:
    # Plain text is not HTML: no entity escaping, so "R&D" stays "R&D".
    template = get_template(name).template
    return template.render(Context(context, autoescape=False))


def email_render(*, template: str, context: dict, language: str) -> RenderedEmail:
    """`context["reply_by_email"]` puts the reply marker at the top (an e-mail one can answer by e-mail)."""
    context = {
        "helpdesk_email": settings.MYHEZO_HELPDESK_EMAIL,
        "helpdesk_phone": settings.MYHEZO_HELPDESK_PHONE,
        **context,
    }
    with translation.override(language):
        subject = _render_plain(f"{template}_subject.txt", context)
        text = _render_plain(f"{template}.txt", context)
        html = get_template(f"{template}.html").render(context)
        if context.get("reply_by_email"):
            text = f"{reply_marker_line(language)}\n\n{text}"
    # A subject is one header line: folding it here makes header injection through context impossible.
    subject = " ".join(subject.split())[:255]
    return RenderedEmail(subject=subject, text=text.strip() + "\n", html=html)
