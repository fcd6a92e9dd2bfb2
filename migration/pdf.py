"""The previous portal's conversation of a carried-over ticket as a PDF (SPEC §8).

WeasyPrint renders `migration/conversation.html`. Everything typed by people is plain text (autoescaped, line
breaks kept), the fonts are the DejaVu files shipped in `pdf_assets/` (embedded, so Polish letters never
depend on the machine), and the URL fetcher serves those files and nothing else: no URL and no other local
file is ever read while rendering.

The legacy import renders in worker processes (`rendering.render_pool`, `render_many`) while the main process does
the database work; each render there is bounded in time and memory (`conversation_pdf_bounded`), so one
pathological ticket fails on its own with a `PdfRenderError` and the worker goes on with the next.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import re
import resource
import signal
import threading
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import Literal, TypedDict
from urllib.parse import urlsplit
from urllib.request import url2pathname
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.dates import datetime_display

from .pdf_limits import DEFAULT_CPU_S, DEFAULT_MEMORY_MB
from .rendering import PdfRenderError

# WeasyPrint logs its rendering steps at INFO, for every document and for its own stylesheets as it is
# imported (hence set before the import), and fontTools, when it subsets instead of HarfBuzz, a dozen lines a
# font: noise in the importer's output.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
logging.getLogger("fontTools").setLevel(logging.WARNING)

import weasyprint  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse  # noqa: E402

ASSETS_DIR = Path(__file__).resolve().parent / "pdf_assets"
# Relative URLs in the template (the @font-face sources) resolve here.
BASE_URL = ASSETS_DIR.as_uri() + "/"
# What may be served from ASSETS_DIR, by suffix; the licence text and anything else there is not.
ASSET_TYPES = {".ttf": "font/ttf"}
# The fonts conversation.css uses (regular, bold): what they cover is what the PDF can draw.
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
TEMPLATE = "migration/conversation.html"
STYLESHEET = "migration/conversation.css"
TIME_ZONE = "Europe/Warsaw"
WARSAW = ZoneInfo(TIME_ZONE)


class ConversationMessage(TypedDict):
    at: str  # ISO 8601 date-time with offset, e.g. "2023-12-04T09:15:00+01:00"
    author: str
    role: Literal["customer", "engineer"]
    body: str  # plain text as typed; markup in it is shown, never interpreted


class ConversationData(TypedDict):
    """What `conversation_pdf` renders: plain, picklable data (it is sent to worker processes)."""

    legacy_id: str
    subject: str
    company_name: str
    company_nip: str
    contract_number: str
    device: str  # in the new notation, e.g. "(H)-FG100FTK20001234"
    messages: list[ConversationMessage]  # oldest first


class PdfAssetRefused(ValueError):
    """The renderer asked for a URL outside the shipped assets."""


# --- Rendering ---------------------------------------------------------------------------------------------


def conversation_pdf(data: ConversationData, *, language: str = "pl") -> bytes:
    """The PDF of one carried-over ticket's previous conversation, labels in `language`."""
    try:
        return _layout(data, language).write_pdf()
    except FatalURLFetchingError as exc:
        # A BaseException in WeasyPrint: turned into an ordinary error so callers' `except Exception` sees it.
        raise PdfRenderError(str(data["legacy_id"]), detail=f"{exc} ({exc.__cause__})") from exc


def _layout(data: ConversationData, language: str) -> weasyprint.Document:
    """The laid-out pages."""
    with translation.override(language):
        html = render_to_string(TEMPLATE, _context(data, language))
    font_config, stylesheet = _styles()
    document = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=AssetsOnlyFetcher())
    return document.render(stylesheets=[stylesheet], font_config=font_config)


_cache = threading.local()


def _styles() -> tuple[FontConfiguration, weasyprint.CSS]:
    """The stylesheet with its fonts, compiled once per thread. A FontConfiguration per render would load the
    fonts again every time and never free them (≈0.3 MB a render: a worker would reach its memory limit
    after a few thousand tickets); shared, renders are faster too. Not shared across threads: WeasyPrint's
    font configuration is not meant for concurrent use."""
    if not hasattr(_cache, "styles"):
        font_config = FontConfiguration()
        stylesheet = weasyprint.CSS(
            string=render_to_string(STYLESHEET),
            base_url=BASE_URL,
            url_fetcher=AssetsOnlyFetcher(),
            font_config=font_config,
        )
        _cache.styles = font_config, stylesheet  # only once complete: a render cut short leaves no half
    return _cache.styles


# The headings: every one in Polish and in English, whatever the language of the dates (SPEC §8), as the
# customer of either language reads the PDF.
HEADING_LANGUAGES = ("pl", "en")
HEADINGS = {
    "kicker": gettext_noop("Conversation carried over from the previous portal"),
    "legacy_ticket": gettext_noop("Previous portal's ticket"),
    "company": gettext_noop("Company"),
    "nip": gettext_noop("NIP"),
    "contract": gettext_noop("Contract"),
    "device": gettext_noop("Device"),
    "times": gettext_noop("Times"),
    "no_messages": gettext_noop("The previous portal's ticket has no messages."),
    "customer": gettext_noop("Customer"),
    "engineer": gettext_noop("Engineer"),
}


def bilingual(message: str) -> str:
    """`message` in Polish and English, "Firma / Company" (once where both read the same)."""
    texts = []
    for language in HEADING_LANGUAGES:
        with translation.override(language):
            text = _(message)
        if text not in texts:
            texts.append(text)
    return " / ".join(texts)


def _headings() -> dict[str, str]:
    return {key: bilingual(message) for key, message in HEADINGS.items()}


def _context(data: ConversationData, language: str) -> dict:
    headings = _headings()
    roles = {"customer": headings["customer"], "engineer": headings["engineer"]}
    messages = []
    for number, message in enumerate(data["messages"], start=1):
        role = message["role"]
        messages.append(
            {
                "author": _text(message["author"]),
                "role_label": roles.get(role, _text(role)),
                "role_class": role if role in roles else "",
                "at": _warsaw_time(message["at"], data["legacy_id"], number),
                "body_blocks": _blocks(_text(message["body"])),
            }
        )
    return {
        "language": language,
        "legacy_id": _text(data["legacy_id"]),
        "subject": _text(data["subject"]),
        "company_name": _text(data["company_name"]),
        "company_nip": _text(data["company_nip"]),
        "contract_number": _text(data["contract_number"]),
        "device": _text(data["device"]),
        "time_zone": TIME_ZONE,
        "headings": headings,
        "messages": messages,
        "footer": _footer(_text(data["legacy_id"])),
    }


# Lines of a body per block element. WeasyPrint lays a block's text out in time that grows with the square of
# its length: a pasted 400 kB log takes 12 s as one block and 2.5 s in blocks of this many lines.
BLOCK_LINES = 100


def _blocks(body: str) -> list[str]:
    """The body cut into blocks of about BLOCK_LINES lines that render exactly like the whole: a cut is made
    only after a line with text, as a block's trailing line break draws no empty line (its leading one does)."""
    blocks, lines = [], []
    for line in body.split("\n"):
        lines.append(line)
        if len(lines) >= BLOCK_LINES and line:
            blocks.append("\n".join(lines))
            lines = []
    if lines or not blocks:
        blocks.append("\n".join(lines))
    return blocks


# JSON allows lone surrogates (unencodable, the render would fail) and control characters (invisible or
# boxes); both become U+FFFD so the reader sees that something was there. Tab and line breaks are text.
_UNPRINTABLE_RE = re.compile(r"[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Bidirectional controls (embeddings, overrides, isolates, marks): applied, they reorder what people typed
# (`faktura_\u202egpj.exe` reads as "…exe.jpg"), so they are shown as a marker and never take effect.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Text kept as it is although no font has a glyph for it.
_LAYOUT_CHARACTERS = frozenset("\t\n\r")


def placeholder(character: str) -> str:
    """The visible stand-in for a character that is not drawn as itself, e.g. `[U+202E]`."""
    return f"[U+{ord(character):04X}]"


@functools.cache
def font_coverage() -> frozenset[int]:
    """The code points that both shipped fonts (regular and bold) have a glyph for, read from their cmap
    tables once per process. Anything else would come out as an empty box (or in whatever font the machine
    has), with one WeasyPrint warning per glyph."""
    from fontTools.ttLib import TTFont

    covered = None
    for name in FONT_FILES:
        with TTFont(ASSETS_DIR / name, lazy=True) as font:
            cmap = frozenset(font.getBestCmap())
        covered = cmap if covered is None else covered & cmap
    return covered


def _text(value: str) -> str:
    """Typed text as the PDF shows it: unprintable characters as U+FFFD, bidirectional controls and characters
    the fonts lack as `[U+XXXX]` placeholders."""
    value = _UNPRINTABLE_RE.sub("\ufffd", value)
    covered = font_coverage()
    replaced = {
        ord(character): placeholder(character)
        for character in set(value)
        if character in BIDI_CONTROLS or (ord(character) not in covered and character not in _LAYOUT_CHARACTERS)
    }
    return value.translate(replaced) if replaced else value


def _warsaw_time(value: str, legacy_id: str, number: int) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise PdfRenderError(legacy_id, reason="time", limit=number, detail=repr(value)) from None
    if moment.tzinfo is None:
        # Guessing the zone would silently shift the times by an hour or two.
        raise PdfRenderError(legacy_id, reason="time", limit=number, detail=repr(value))
    local = moment.astimezone(WARSAW)
    # The portal's format, with the zone's name: the hour repeated when the clocks go back stays unambiguous.
    return f"{datetime_display(local)} {local.tzname()}"


_FOOTER_FIELD_RE = re.compile(r"%\((page|pages)\)s")


def _footer(legacy_id: str) -> SafeString:
    """The CSS `content` of the page footer: the legacy id, then the translated text around the page counters
    in Polish and English. Built here, not in the template, because the legacy id and the translations go into
    CSS, where HTML escaping does not apply."""
    parts = [css_string(legacy_id)]
    for language in HEADING_LANGUAGES:
        with translation.override(language):
            # Translators: after the legacy id in the footer of every page of a carried-over conversation's PDF,
            # e.g. "Z-2023-04211 · page 1 of 2 / strona 1 z 2".
            text = _("page %(page)s of %(pages)s")
        text = (" · " if len(parts) == 1 else " / ") + text
        position = 0
        for field in _FOOTER_FIELD_RE.finditer(text):
            if field.start() > position:
                parts.append(css_string(text[position : field.start()]))
            parts.append(f"counter({field[1]})")
            position = field.end()
        if position < len(text):
            parts.append(css_string(text[position:]))
    return mark_safe(" ".join(parts))  # noqa: S308 - every string in it went through css_string


def css_string(value: str) -> str:
    """A quoted CSS string of `value` that is safe inside <style>: everything but ASCII letters, digits and
    spaces becomes a six-digit hex escape, so no quote, backslash, `<` or line break survives. (The space after
    each escape ends it and is not part of the text: CSS consumes one whitespace after a hex escape.)"""
    escaped = "".join(c if (c.isascii() and c.isalnum()) or c == " " else f"\\{ord(c):06x} " for c in value)
    return f'"{escaped}"'


class AssetsOnlyFetcher(URLFetcher):
    """WeasyPrint's URL fetcher for the conversation PDFs: serves the font files of ASSETS_DIR and refuses
    everything else — http(s), ftp, other local files, paths that climb out of ASSETS_DIR (`..`, symlinks,
    percent-encoding: the resolved path decides), and data: URLs too. The template needs none of them, and a
    data: URL would let markup that ever slipped past escaping make the renderer decode images or fonts of its
    choosing. Nothing remote is fetched, so there are no redirects to follow.

    A refused URL stops the render (fail_on_errors) instead of being logged and skipped: a missing font must
    not silently fall back to whatever the machine has, and an unexpected fetch means something is wrong.
    """

    def __init__(self) -> None:
        # The base class's urllib handlers are never reached: fetch and open are replaced below.
        super().__init__(fail_on_errors=True)

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        path = asset_path(url)
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": ASSET_TYPES[path.suffix]})

    def open(self, url, data=None, timeout=None):
        # urllib's entry point of the base class; it must not reach the base class's handlers either.
        return self.fetch(url if isinstance(url, str) else url.full_url)


def asset_path(url: str) -> Path:
    """The file of ASSETS_DIR that `url` names, or PdfAssetRefused."""
    try:
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            raise PdfAssetRefused(f"not a shipped asset: {url}")
        path = Path(url2pathname(parts.path)).resolve()
    except (ValueError, OSError) as exc:  # embedded NUL, malformed URL, unreadable path
        raise PdfAssetRefused(f"not a shipped asset: {url}") from exc
    if not path.is_relative_to(ASSETS_DIR) or path.suffix not in ASSET_TYPES or not path.is_file():
        raise PdfAssetRefused(f"not a shipped asset: {url}")
    return path


# --- Bounded renders in worker processes ---------------------------------------------------------------------

# A worker whose render is stuck inside C code (where the profiling timer's exception cannot be raised) is
# ended by the kernel this much CPU time after its limit (RLIMIT_CPU); the pool starts another in its place.
HARD_EXIT_GRACE_S = 10
TIMER_REPEAT_S = 0.1

_memory_limit_mb: int | None = None  # what this process's RLIMIT_AS was set to here
_in_render_worker = False
_started_queue = None  # a render worker tells the main process here which job it is rendering


class _RenderTimeout(BaseException):
    """Raised by the SIGPROF handler. A BaseException, so WeasyPrint's `except Exception` (around fetches,
    images, fonts) cannot swallow it."""


def _on_cpu_timer(signum, frame):
    raise _RenderTimeout


# Rendered once by a warmed worker as it starts: the fonts, the template and the style sheet are loaded before
# the first ticket is due.
WARM_UP: ConversationData = {
    "legacy_id": "warm-up",
    "subject": "Zażółć gęślą jaźń",
    "company_name": "HEZO",
    "company_nip": "",
    "contract_number": "",
    "device": "",
    "messages": [{"at": "2026-01-01T12:00:00+01:00", "author": "HEZO", "role": "engineer", "body": "Zażółć"}],
}


def render_worker_init(memory_mb: int, started_queue=None, warm: bool = False) -> None:
    """Initializer of a render worker process: Django (templates, translations) and the memory limit, once;
    `warm` also renders a short document, so the first ticket does not wait for the fonts."""
    global _in_render_worker, _started_queue
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myhezo.settings")
    import django

    django.setup()
    _limit_memory(memory_mb)
    if warm:
        with suppress(Exception):  # a real render reports whatever is wrong, for its own ticket
            conversation_pdf(WARM_UP)
    _in_render_worker = True
    _started_queue = started_queue
    # Ctrl-C reaches the whole process group: the main process decides (the pool is terminated), workers
    # don't each die mid-task with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _limit_memory(memory_mb: int) -> None:
    global _memory_limit_mb
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = memory_mb * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    _memory_limit_mb = memory_mb


def conversation_pdf_bounded(
    data: ConversationData,
    *,
    language: str = "pl",
    cpu_s: float = DEFAULT_CPU_S,
    memory_mb: int | None = DEFAULT_MEMORY_MB,
) -> bytes:
    """conversation_pdf within `cpu_s` seconds of CPU time and `memory_mb` MB of address space, or
    PdfRenderError (whatever went wrong, so one ticket's failure never ends the caller).

    Meant for worker processes: the memory limit (RLIMIT_AS) applies to the whole calling process and stays
    (render_worker_init sets it once per worker; None leaves the process's limit as it is), and the CPU limit
    uses the profiling timer (SIGPROF), so it must run in the process's main thread, as pool workers do.
    """
    if memory_mb is not None and memory_mb != _memory_limit_mb:
        _limit_memory(memory_mb)
    label = str(data.get("legacy_id"))
    return _bounded(lambda: conversation_pdf(data, language=language), label=label, cpu_s=cpu_s)


def _cpu_used_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _bounded(render: Callable[[], bytes], *, label: str, cpu_s: float) -> bytes:
    previous = signal.signal(signal.SIGPROF, _on_cpu_timer)
    cpu_limit = resource.getrlimit(resource.RLIMIT_CPU)
    try:
        try:
            # ITIMER_PROF counts the process's CPU time (user and system), not the clock. Repeating until
            # cancelled: a signal that lands in a garbage-collector callback or a __del__ is swallowed by Python
            # (reported as "unraisable"), so the next one, a moment of CPU later, stops the render.
            signal.setitimer(signal.ITIMER_PROF, cpu_s, TIMER_REPEAT_S)
            if _in_render_worker:
                # Only in a worker: the backstop for a render stuck in C code, where SIGPROF's exception cannot
                # be raised. SIGXCPU's default action ends the process once it has used this much CPU time.
                soft = math.ceil(_cpu_used_s() + cpu_s + HARD_EXIT_GRACE_S)
                hard = cpu_limit[1]
                resource.setrlimit(
                    resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard)
                )
            return render()
        finally:
            # Inside the outer try: a timer that fires just as the render returns is still caught below.
            signal.setitimer(signal.ITIMER_PROF, 0)
            if _in_render_worker:
                resource.setrlimit(resource.RLIMIT_CPU, cpu_limit)
    except _RenderTimeout:
        raise PdfRenderError(label, reason="cpu", limit=cpu_s) from None
    except MemoryError:
        raise PdfRenderError(label, reason="memory", limit=_memory_limit_mb) from None
    except PdfRenderError:
        raise
    except Exception as exc:
        raise PdfRenderError(label, detail=f"{type(exc).__name__}: {exc}") from exc
    finally:
        signal.signal(signal.SIGPROF, previous)


def render_task(args: tuple[int, ConversationData, str, float]) -> bytes | PdfRenderError:
    """One job of `rendering.render_many`, in a render worker."""
    job, data, language, cpu_s = args
    if _started_queue is not None:
        _started_queue.put((job, os.getpid()))
    try:
        return conversation_pdf_bounded(data, language=language, cpu_s=cpu_s, memory_mb=None)
    except PdfRenderError as exc:
        return exc
