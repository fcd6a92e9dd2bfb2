"""E-mails as the common clients write them, for the receiver's tests."""

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.utils import timezone

from tickets.mailthread import ticket_reply_address, ticket_thread_id

QUOTE = "Dzień dobry, proszę sprawdzić logi.\n"

CLIENT_BODIES = {
    "outlook": (
        "Logi w załączeniu, tunel nadal nie wstaje.\n\nPozdrawiam\nAnna Kowalska\n\n"
        "________________________________\nFrom: myHEZO <noreply@myhezo.pl>\nSent: Thursday, 3 December 2026 14:05\n"
        "To: anna@kowalski.example\nSubject: HZ\n\n" + QUOTE
    ),
    "outlook_pl": (
        "Logi w załączeniu, tunel nadal nie wstaje.\n\n-----Oryginalna wiadomość-----\n"
        "Od: myHEZO <noreply@myhezo.pl>\nWysłano: czwartek, 3 grudnia 2026 14:05\n\n" + QUOTE
    ),
    "gmail": (
        "Logi w załączeniu, tunel nadal nie wstaje.\n\nOn Thu, 3 Dec 2026 at 14:05, myHEZO <noreply@myhezo.pl>\n"
        "wrote:\n\n> " + QUOTE
    ),
    "gmail_pl": (
        "Logi w załączeniu, tunel nadal nie wstaje.\n\n"
        "czw., 3 gru 2026 o 14:05 myHEZO <noreply@myhezo.pl> napisał(a):\n\n> " + QUOTE
    ),
    "apple_mail": (
        "Logi w załączeniu, tunel nadal nie wstaje.\n\nWysłane z iPhone'a\n\n"
        "Wiadomość napisana przez myHEZO <noreply@myhezo.pl> w dniu 03.12.2026, o godz. 14:05:\n\n> " + QUOTE
    ),
    "thunderbird": (
        "Logi w załączeniu, tunel nadal nie wstaje.\n\n-- \nAnna Kowalska\nKowalski Systemy\n\n"
        "W dniu 3.12.2026 o 14:05, myHEZO pisze:\n> " + QUOTE
    ),
    "thunderbird_en": ("Logi w załączeniu, tunel nadal nie wstaje.\n\nOn 03/12/2026 14:05, myHEZO wrote:\n> " + QUOTE),
}

HTML_ONLY = (
    "<html><head><style>p{color:red}</style></head><body><div dir='ltr'>Logi w załączeniu,"
    " <b>tunel</b> nadal nie wstaje.<br><script>alert(1)</script></div><div class='gmail_quote'>"
    "<div>On Thu, 3 Dec 2026 myHEZO wrote:</div><blockquote>" + QUOTE + "</blockquote></div></body></html>"
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def reply(
    ticket,
    sender: str,
    body: str = "Logi w załączeniu, tunel nadal nie wstaje.",
    *,
    html: str | None = None,
    attachments: tuple[tuple[str, bytes, str], ...] = (),
    to: str | None = None,
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
) -> bytes:
    """A reply to a ticket e-mail: to the ticket's reply address, in its thread."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to if to is not None else ticket_reply_address(ticket.number)
    message["Subject"] = f"Re: [{ticket.number}] {ticket.title}"
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id or make_msgid(domain="kowalski.example")
    message["In-Reply-To"] = ticket_thread_id(ticket.number)
    message["References"] = ticket_thread_id(ticket.number)
    for name, value in (headers or {}).items():
        message[name] = value
    if html is not None:
        message.set_content(html, subtype="html")
    else:
        message.set_content(body)
    for name, data, mime in attachments:
        maintype, subtype = mime.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()
