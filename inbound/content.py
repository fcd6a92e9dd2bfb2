"""What an inbound e-mail says (SPEC §9): parsed with the standard library (`email`, policy `default`), its text
decoded from any charset, HTML turned into text, quoted earlier mail and signatures cut, its attachments, and
whether it is automatic mail that must never be answered.

The quote rules cover the common clients in Polish and English: Outlook ("-----Original Message-----",
"-----Oryginalna wiadomość-----", a "From:/Od:" header block), Gmail and Thunderbird ("On … wrote:",
"W dniu … pisze:", "… napisał(a):"), Apple Mail ("Wiadomość napisana przez … w dniu …"), "> " lines, the
portal's own marker line, and the "-- " signature separator with the mobile "Sent from my …" lines.
"""

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from core.emails import reply_marker_lines

BODY_MAX_CHARS = 20000

_QUOTE_HEADERS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^-{2,}\s*(original message|oryginalna wiadomo[śs][ćc]|wiadomo[śs][ćc] oryginalna|forwarded message)\s*-{2,}",
        r"^_{10,}\s*$",
        r"^on .{3,300}\bwrote:\s*$",
        r"^w dniu .{3,300}\b(pisze|napisa[łl](\(a\))?|napisa[łl]a):\s*$",
        r"^dnia .{3,300}\bnapisa[łl](\(a\)|a)?:\s*$",
        r"^.{3,300}\bnapisa[łl](\(a\)|a)?:\s*$",
        r"^wiadomo[śs][ćc] napisana przez .{3,300}:?\s*$",
        r"^(from|od|nadawca):\s.+$",
    )
]
_HEADER_BLOCK_NEXT = re.compile(r"^(sent|date|wys[łl]ano|data|to|do|subject|temat):\s", re.IGNORECASE)
_SIGNATURE = re.compile(
    r"^(--\s*|sent from my .{1,40}|wys[łl]an[oe] z (mojego )?.{1,40}|get outlook for .{1,30}|pobierz outlook.{0,30})$",
    re.IGNORECASE,
)


def _quote_start(lines: list[str], index: int) -> bool:
    line = lines[index].strip()
    following = lines[index + 1].strip() if index + 1 < len(lines) else ""
    joined = f"{line} {following}".strip()
    for rule in _QUOTE_HEADERS[:-1]:
        if rule.match(line):
            return True
        # Gmail wraps "On Thu, 3 Dec 2026 at 14:05, Jan <jan@…>" and "wrote:" over two lines.
        if line.lower().startswith(("on ", "w dniu ", "dnia ")) and rule.match(joined):
            return True
    # Outlook's header block: "From: …" followed by "Sent:/Date:/To:/Subject:" (or its Polish form).
    return bool(_QUOTE_HEADERS[-1].match(line) and _HEADER_BLOCK_NEXT.match(following))


def reply_text(text: str) -> str:
    """The new part of a reply: everything above the first quote header, the portal's marker or a
    signature, without "> " lines."""
    markers = [marker.strip("# ").lower() for marker in reply_marker_lines()]
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, raw in enumerate(lines):
        line = raw.strip()
        if any(marker in line.lower() for marker in markers) or _quote_start(lines, index):
            break
        if _SIGNATURE.match(line) and (line.startswith("--") or index > 0):
            break
        if line.startswith(">"):
            continue
        kept.append(raw.rstrip())
    result = "\n".join(kept).strip()
    return re.sub(r"\n{3,}", "\n\n", result)


class _TextFromHtml(HTMLParser):
    """HTML to plain text: block elements become line breaks, scripts, styles and quoted mail (blockquote,
    Gmail's `gmail_quote`, Outlook's reply header) are dropped; entities are decoded."""

    BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "hr", "pre"}
    SKIP = {"script", "style", "head", "title", "blockquote", "template", "noscript"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.stopped = False

    def handle_starttag(self, tag, attrs):
        if self.stopped:
            return
        attributes = dict(attrs)
        classes = (attributes.get("class") or "") + " " + (attributes.get("id") or "")
        if any(
            name in classes for name in ("gmail_quote", "divRplyFwdMsg", "moz-cite-prefix", "AppleOriginalContents")
        ):
            self.stopped = True
            return
        if tag in self.SKIP:
            self.skip_depth += 1
        elif tag in self.BLOCKS and not self.skip_depth:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if self.stopped:
            return
        if tag in self.SKIP and self.skip_depth:
            self.skip_depth -= 1
        elif tag in self.BLOCKS and not self.skip_depth:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip_depth and not self.stopped:
            self.parts.append(re.sub(r"[ \t\r\n]+", " ", data))


def html_to_text(html: str) -> str:
    parser = _TextFromHtml()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


@dataclass
class Inbound:
    """One parsed e-mail: what the receiver needs, nothing rendered."""

    key: str  # the Message-ID, or sha256 of the bytes when it has none
    message_id: str
    sender: str  # the From address ("" when there is none or several)
    sender_name: str
    return_path: str | None  # None: no Return-Path header; "": the null sender
    recipients: list[str]
    references: list[str]
    subject: str
    automatic: str  # why it is automatic mail (never answered), or ""
    body: str
    attachments: list[tuple[str, bytes]] = field(default_factory=list)


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a header the parser cannot make sense of counts as absent
        return ""
    return " ".join(str(value or "").split())


def _part_text(part: EmailMessage) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeError, AssertionError, KeyError):
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace")


def _automatic(message: EmailMessage, sender: str, return_path: str | None) -> str:
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return "auto-submitted"
    if _header(message, "Precedence").lower() in ("bulk", "junk", "list", "auto_reply"):
        return "precedence"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress", "X-Autogenerated"):
        if name in message:
            return name.lower()
    if any(key.lower().startswith("list-") for key in message):
        return "list"
    if return_path == "":
        return "null sender"
    if message.get_content_type() == "multipart/report" or sender.lower().split("@")[0] in (
        "mailer-daemon",
        "postmaster",
    ):
        return "bounce"
    return ""


def inbound_key(message_id: str, raw: bytes) -> str:
    """What makes an e-mail the same e-mail: its Message-ID, or the hash of its bytes when it has none."""
    if re.fullmatch(r"<[^<>\s]{3,298}>", message_id):
        return message_id
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def inbound_parse(raw: bytes) -> Inbound:
    message: EmailMessage = BytesParser(policy=policy.default).parsebytes(raw)
    message_id = _header(message, "Message-ID")[:300]
    key = inbound_key(message_id, raw)
    from_value = _header(message, "From")
    addresses = [address for _name, address in getaddresses([from_value]) if address]
    sender_name, sender = parseaddr(from_value) if len(addresses) == 1 else ("", "")
    return_path_value = _header(message, "Return-Path")
    return_path = None if "Return-Path" not in message else parseaddr(return_path_value)[1]
    recipients = [
        address
        for name in ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
        for _n, address in getaddresses([_header(message, name)])
    ]
    references = [_header(message, "In-Reply-To"), _header(message, "References")]
    body_part = message.get_body(preferencelist=("plain", "html"))
    if body_part is None:
        text = ""
    elif body_part.get_content_type() == "text/html":
        text = html_to_text(_part_text(body_part))
    else:
        text = _part_text(body_part)
    attachments: list[tuple[str, bytes]] = []
    for part in message.iter_attachments():
        if part.get_content_maintype() == "multipart":
            continue
        filename = part.get_filename() or ""
        payload = part.get_payload(decode=True) or b""
        if not filename and part.get_content_type() in ("text/plain", "text/html"):
            continue
        attachments.append((filename or "attachment", payload))
    return Inbound(
        key=key,
        message_id=message_id,
        sender=sender.strip().lower(),
        sender_name=" ".join(sender_name.split())[:200],
        return_path=return_path,
        recipients=recipients,
        references=references,
        subject=_header(message, "Subject")[:300],
        automatic=_automatic(message, sender, return_path),
        body=reply_text(text)[:BODY_MAX_CHARS],
        attachments=attachments,
    )
