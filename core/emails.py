"""The one helper that renders an e-mail: `<name>_subject.txt`, `<name>.txt` and `<name>.html`, in the
recipient's language."""

from dataclasses import dataclass

from django.conf import settings
from django.template import Context
from django.template.loader import get_template
from django.utils import translation


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
    context = {
        "helpdesk_email": settings.MYHEZO_HELPDESK_EMAIL,
        "helpdesk_phone": settings.MYHEZO_HELPDESK_PHONE,
        **context,
    }
    with translation.override(language):
        subject = _render_plain(f"{template}_subject.txt", context)
        text = _render_plain(f"{template}.txt", context)
        html = get_template(f"{template}.html").render(context)
    # A subject is one header line: folding it here makes header injection through context impossible.
    subject = " ".join(subject.split())[:255]
    return RenderedEmail(subject=subject, text=text.strip() + "\n", html=html)
