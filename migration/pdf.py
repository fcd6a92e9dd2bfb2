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
import faulthandler
import logging
import multiprocessing
import os
import re
import resource
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
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

from core.dates import datetime_display

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
TEMPLATE = "migration/conversation.html"
STYLESHEET = "migration/conversation.css"
TIME_ZONE = "Europe/Warsaw"
WARSAW = ZoneInfo(TIME_ZONE)

# A worker whose render is stuck inside C code (where the alarm's exception cannot be raised) exits this long
# after its time limit; the pool starts another in its place.
HARD_EXIT_GRACE_S = 10
# How long render_many waits for one ticket beyond its time limit before reporting its worker lost: room for
# the hard exit above, a replacement worker's start-up and the render itself.
WORKER_LOST_GRACE_S = 60

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
    """One ticket's conversation could not be rendered; the message says which ticket and why."""


class PdfAssetRefused(ValueError):
    """The renderer asked for a URL outside the shipped assets."""


# --- Rendering ---------------------------------------------------------------------------------------------


def conversation_pdf(data: ConversationData, *, language: str = "pl") -> bytes:
    """The PDF of one carried-over ticket's previous conversation, labels in `language`."""
    try:
        return _layout(data, language).write_pdf()
    except FatalURLFetchingError as exc:
        # A BaseException in WeasyPrint: turned into an ordinary error so callers' `except Exception` sees it.
        raise PdfRenderError(f"{data['legacy_id']}: {exc} ({exc.__cause__})") from exc


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


def _context(data: ConversationData, language: str) -> dict:
    roles = {"customer": _("Customer"), "engineer": _("Engineer")}
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


def _text(value: str) -> str:
    return _UNPRINTABLE_RE.sub("\ufffd", value)


def _warsaw_time(value: str, legacy_id: str, number: int) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise PdfRenderError(f"{legacy_id}: message {number}: not an ISO date-time: {value!r}") from None
    if moment.tzinfo is None:
        # Guessing the zone would silently shift the times by an hour or two.
        raise PdfRenderError(f"{legacy_id}: message {number}: date-time without an offset: {value!r}")
    local = moment.astimezone(WARSAW)
    # The portal's format, with the zone's name: the hour repeated when the clocks go back stays unambiguous.
    return f"{datetime_display(local)} {local.tzname()}"


_FOOTER_FIELD_RE = re.compile(r"%\((legacy_id|page|pages)\)s")


def _footer(legacy_id: str) -> SafeString:
    """The CSS `content` of the page footer: the translated text around the page counters. Built here, not in
    the template, because the legacy id and the translation go into CSS, where HTML escaping does not apply."""
    # Translators: footer of every page of a carried-over conversation's PDF, e.g. "Z-2023-04211 · page 1 of 2".
    text = _("%(legacy_id)s · page %(page)s of %(pages)s")
    parts, position = [], 0
    for field in _FOOTER_FIELD_RE.finditer(text):
        if field.start() > position:
            parts.append(css_string(text[position : field.start()]))
        parts.append(css_string(legacy_id) if field[1] == "legacy_id" else f"counter({field[1]})")
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

_memory_limit_mb: int | None = None  # what this process's RLIMIT_AS was set to here
_in_render_worker = False


ALARM_REPEAT_S = 0.1


class _RenderTimeout(BaseException):
    """Raised by the SIGALRM handler. A BaseException, so WeasyPrint's `except Exception` (around fetches,
    images, fonts) cannot swallow it."""


def _on_alarm(signum, frame):
    raise _RenderTimeout


def render_worker_init(memory_mb: int) -> None:
    """Initializer of a render worker process: Django (templates, translations) and the memory limit, once."""
    global _in_render_worker
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myhezo.settings")
    import django

    django.setup()
    _limit_memory(memory_mb)
    _in_render_worker = True
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
    data: ConversationData, *, language: str = "pl", timeout_s: float = 30, memory_mb: int | None = 1024
) -> bytes:
    """conversation_pdf within `timeout_s` seconds and `memory_mb` MB of address space, or PdfRenderError
    (whatever went wrong, so one ticket's failure never ends the caller).

    Meant for worker processes: the memory limit (RLIMIT_AS) applies to the whole calling process and stays
    (render_worker_init sets it once per worker; None leaves the process's limit as it is), and the time
    limit uses SIGALRM, so it must run in the process's main thread, as pool workers do.
    """
    if memory_mb is not None and memory_mb != _memory_limit_mb:
        _limit_memory(memory_mb)
    label = str(data.get("legacy_id"))
    return _bounded(lambda: conversation_pdf(data, language=language), label=label, timeout_s=timeout_s)


def _bounded(render: Callable[[], bytes], *, label: str, timeout_s: float) -> bytes:
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    try:
        try:
            # Repeating until cancelled: an alarm that lands in a garbage-collector callback or a __del__ is
            # swallowed by Python (reported as "unraisable"), so the next one, a moment later, stops the render.
            signal.setitimer(signal.ITIMER_REAL, timeout_s, ALARM_REPEAT_S)
            if _in_render_worker:
                # Only in a worker: in any other process this backstop would end the caller.
                faulthandler.dump_traceback_later(timeout_s + HARD_EXIT_GRACE_S, exit=True)
            return render()
        finally:
            # Inside the outer try: an alarm that fires just as the render returns is still caught below.
            signal.setitimer(signal.ITIMER_REAL, 0)
            if _in_render_worker:
                faulthandler.cancel_dump_traceback_later()
    except _RenderTimeout:
        raise PdfRenderError(f"{label}: the PDF took longer than {timeout_s:g} s to render") from None
    except MemoryError:
        limit = f"{_memory_limit_mb} MB" if _memory_limit_mb else "the memory available"
        raise PdfRenderError(f"{label}: the PDF needed more than {limit} to render") from None
    except PdfRenderError:
        raise
    except Exception as exc:
        raise PdfRenderError(f"{label}: {type(exc).__name__}: {exc}") from exc
    finally:
        signal.signal(signal.SIGALRM, previous)


def render_pool(workers: int, memory_mb: int = 1024, *, maxtasksperchild: int | None = 1000) -> Pool:
    """A pool of `workers` render processes, each limited to `memory_mb` MB. Use it as a context manager
    (`with render_pool(2, 1024) as pool:`), which terminates it: a worker lost mid-render leaves a result
    that never comes, and `close(); join()` would wait for it forever.

    Spawned, not forked: a fork would copy the main process's database connections and locks. Workers are
    replaced after `maxtasksperchild` renders, so a slow leak in the native libraries never reaches the limit.
    """
    # Spawned workers start from the environment, not from this process's configured settings.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myhezo.settings")
    context = multiprocessing.get_context("spawn")
    return context.Pool(workers, render_worker_init, (memory_mb,), maxtasksperchild)


def _render_task(args: tuple[ConversationData, str, float]) -> bytes | PdfRenderError:
    data, language, timeout_s = args
    try:
        return conversation_pdf_bounded(data, language=language, timeout_s=timeout_s, memory_mb=None)
    except PdfRenderError as exc:
        return exc


def render_many(
    pool: Pool,
    items: Iterable[tuple[Key, ConversationData, str]],
    *,
    timeout_s: float = 30,
    window: int = 16,
) -> Iterator[tuple[Key, bytes | PdfRenderError]]:
    """Renders `(key, data, language)` items in the pool's workers and yields `(key, pdf)` in input order, or
    `(key, PdfRenderError)` for a ticket that failed (too slow, too big, bad data, worker lost). The caller
    does its database work between items while the workers render ahead; at most `window` items are in
    flight, so a long input is read and held in memory only that far ahead.
    """
    jobs = ((key, (data, language, timeout_s)) for key, data, language in items)
    return _ordered(pool, _render_task, jobs, wait_s=2 * timeout_s + WORKER_LOST_GRACE_S, window=window)


def _ordered(pool: Pool, task: Callable, jobs: Iterable[tuple[Key, tuple]], *, wait_s: float, window: int):
    """apply_async per item rather than imap: imap waits forever for the result of a worker that died (an
    abort in a native library, the hard exit above), stalling every later item; here such an item is
    reported after `wait_s` and the pool's replacement worker goes on with the rest."""
    pending: deque[tuple[Key, AsyncResult]] = deque()
    for key, args in jobs:
        pending.append((key, pool.apply_async(task, (args,))))
        if len(pending) >= window:
            yield _result(*pending.popleft(), wait_s=wait_s)
    while pending:
        yield _result(*pending.popleft(), wait_s=wait_s)


def _result(key: Key, result: AsyncResult, *, wait_s: float) -> tuple[Key, bytes | PdfRenderError]:
    try:
        return key, result.get(wait_s)
    except multiprocessing.TimeoutError:
        return key, PdfRenderError(f"{key}: no answer from the render worker within {wait_s:g} s (it was lost)")
    except Exception as exc:  # e.g. a task that raised in spite of _render_task
        return key, PdfRenderError(f"{key}: {type(exc).__name__}: {exc}")


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
