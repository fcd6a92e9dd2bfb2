"""The previous portal's conversation of a carried-over ticket as a PDF (SPEC §8).

WeasyPrint renders `migration/conversation.html`. Everything typed by people is plain text (autoescaped, line
breaks kept), the fonts are the DejaVu files shipped in `pdf_assets/` (embedded, so Polish letters never
depend on the machine), and the URL fetcher serves those files and nothing else: no URL and no other local
file is ever read while rendering.

The legacy import renders in worker processes (`render_pool`, `render_many`) while the main process does
the database work; each render there is bounded in time and memory (`conversation_pdf_bounded`), so one
pathological ticket fails on its own with a `PdfRenderError` and the worker goes on with the next.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import math
import multiprocessing
import os
import re
import resource
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from datetime import datetime
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path
from typing import Literal, TypedDict, TypeVar
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

Key = TypeVar("Key")


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


class PdfRenderError(Exception):
    """One ticket's conversation could not be rendered: `label` (the ticket) and why — `reason` "cpu" or
    "memory" (a limit, `limit` in s or MB), "time" (message number `limit` has no usable time), "lost" (the
    worker process died), or else a `detail`. `message()` says it in the active language (the importer's
    process, not the worker's)."""

    def __init__(self, label: str, *, reason: str = "error", limit: float | None = None, detail: str = ""):
        super().__init__(label, reason, limit, detail)
        self.label, self.reason, self.limit, self.detail = label, reason, limit, detail

    def __reduce__(self):
        return _render_error, (self.label, self.reason, self.limit, self.detail)

    def message(self) -> str:
        if self.reason == "cpu":
            return _("the PDF needed more than %(limit)s s of CPU time to render") % {"limit": f"{self.limit:g}"}
        if self.reason == "memory":
            if self.limit:
                return _("the PDF needed more than %(limit)s MB of memory to render") % {"limit": self.limit}
            return _("the PDF needed more memory than was available to render")
        if self.reason == "time":
            return _("message %(number)s: not an ISO 8601 date and time with an offset: %(value)s") % {
                "number": self.limit,
                "value": self.detail,
            }
        if self.reason == "lost":
            return _("the render worker process ended before it finished the PDF")
        return self.detail

    def __str__(self) -> str:
        return f"{self.label}: {self.message()}"


def _render_error(label, reason, limit, detail) -> PdfRenderError:
    return PdfRenderError(label, reason=reason, limit=limit, detail=detail)


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
# How often render_many looks whether the worker rendering the awaited item is still alive.
WORKER_POLL_S = 0.5
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


def render_pool(
    workers: int, memory_mb: int = DEFAULT_MEMORY_MB, *, maxtasksperchild: int | None = 1000, warm: bool = False
) -> Pool:
    """A pool of `workers` render processes, each limited to `memory_mb` MB. Use it as a context manager
    (`with render_pool(2, 1024) as pool:`), which terminates it: a worker lost mid-render leaves a result
    that never comes, and `close(); join()` would wait for it forever.

    Spawned, not forked: a fork would copy the main process's database connections and locks. Workers are
    replaced after `maxtasksperchild` renders, so a slow leak in the native libraries never reaches the limit.
    With `warm`, each worker renders a short document as it starts (`render_worker_init`).
    """
    # Spawned workers start from the environment, not from this process's configured settings.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myhezo.settings")
    context = multiprocessing.get_context("spawn")
    # A SimpleQueue writes at once (a Queue's feeder thread may not send before a crashing worker is gone).
    started = context.SimpleQueue()
    pool = context.Pool(workers, render_worker_init, (memory_mb, started, warm), maxtasksperchild)
    pool.started_queue = started  # render_many learns here which worker renders which job
    return pool


def _render_task(args: tuple[int, ConversationData, str, float]) -> bytes | PdfRenderError:
    job, data, language, cpu_s = args
    if _started_queue is not None:
        _started_queue.put((job, os.getpid()))
    try:
        return conversation_pdf_bounded(data, language=language, cpu_s=cpu_s, memory_mb=None)
    except PdfRenderError as exc:
        return exc


def render_many(
    pool: Pool,
    items: Iterable[tuple[Key, ConversationData, str]],
    *,
    cpu_s: float = DEFAULT_CPU_S,
    window: int = 16,
) -> Iterator[tuple[Key, bytes | PdfRenderError]]:
    """Renders `(key, data, language)` items in the pool's workers and yields `(key, pdf)` in input order, or
    `(key, PdfRenderError)` for a ticket that failed (too much CPU time or memory, bad data, worker lost). The
    caller does its database work between items while the workers render ahead; at most `window` items are in
    flight, so a long input is read and held in memory only that far ahead.

    No wall-clock limit: an item is awaited as long as the worker rendering it is alive (its CPU limit ends
    it), and reported lost as soon as that worker is gone (a crash in a native library, the kernel's backstop).
    """
    jobs = ((key, (job, data, language, cpu_s)) for job, (key, data, language) in enumerate(items))
    return _ordered(pool, _render_task, jobs, window=window)


def _ordered(pool: Pool, task: Callable, jobs: Iterable[tuple[Key, tuple]], *, window: int):
    """apply_async per item rather than imap: imap waits forever for the result of a worker that died (an
    abort in a native library, the kernel's CPU backstop), stalling every later item; here such an item is
    reported once its worker is gone and the pool's replacement worker goes on with the rest."""
    pending: deque[tuple[Key, int, AsyncResult]] = deque()
    running: dict[int, int] = {}  # job → pid of the worker that started it
    for key, args in jobs:
        pending.append((key, args[0], pool.apply_async(task, (args,))))
        if len(pending) >= window:
            yield _result(pool, *pending.popleft(), running)
    while pending:
        yield _result(pool, *pending.popleft(), running)


def _result(
    pool: Pool, key: Key, job: int, result: AsyncResult, running: dict[int, int]
) -> tuple[Key, bytes | PdfRenderError]:
    started = getattr(pool, "started_queue", None)
    while True:
        result.wait(WORKER_POLL_S)
        if result.ready():
            break
        if started is None:
            continue
        while not started.empty():
            started_job, pid = started.get()
            running[started_job] = pid
        pid = running.get(job)
        if pid is not None and not _alive(pid):
            # The result may have come in the meantime, from a worker that ended normally afterwards.
            result.wait(WORKER_POLL_S)
            if result.ready():
                break
            running.pop(job, None)
            return key, PdfRenderError(str(key), reason="lost")
    running.pop(job, None)
    try:
        return key, result.get()
    except Exception as exc:  # e.g. a task that raised in spite of _render_task
        return key, PdfRenderError(str(key), detail=f"{type(exc).__name__}: {exc}")


def _alive(pid: int) -> bool:
    """Whether the process is still there (the pool reaps its dead workers, so a dead one is gone)."""
    try:
        finished, _status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass  # not ours to reap, or already reaped by the pool
    else:
        if finished:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# --- Environment ----------------------------------------------------------------------------------------------


def harfbuzz_subset_available() -> bool:
    """Whether WeasyPrint can subset fonts with HarfBuzz: libharfbuzz-subset loads and HarfBuzz is ≥ 4.1.0
    (what WeasyPrint requires; otherwise it falls back to fontTools)."""
    for name in (ctypes.util.find_library("harfbuzz-subset"), "libharfbuzz-subset.so.0"):
        if not name:
            continue
        try:
            ctypes.CDLL(name)
            harfbuzz = ctypes.CDLL(ctypes.util.find_library("harfbuzz") or "libharfbuzz.so.0")
            return bool(harfbuzz.hb_version_atleast(4, 1, 0))
        except (OSError, AttributeError):
            continue
    return False


def pdf_environment_warning() -> str | None:
    """A warning for the operator when PDFs will render slowly on this machine, else None."""
    if harfbuzz_subset_available():
        return None
    return _(
        "HarfBuzz font subsetting (Debian package libharfbuzz-subset0, HarfBuzz ≥ 4.1) is not available: "
        "WeasyPrint falls back to fontTools, and each conversation PDF takes several times longer to render."
    )
