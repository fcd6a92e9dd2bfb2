"""Rendering the conversation PDFs of the legacy import in worker processes: the pool, the jobs in order, what
went wrong with one, and whether this machine renders fast.

Nothing here imports WeasyPrint: the importer's own process never loads it, and starts its workers before it
would have. The workers import `migration.pdf`, which renders each document within its limits.
"""

import ctypes
import ctypes.util
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.pool import AsyncResult, Pool
from typing import TypeVar

from django.utils.translation import gettext as _

from .pdf_limits import DEFAULT_CPU_S, DEFAULT_MEMORY_MB

Key = TypeVar("Key")
# How often render_many looks whether the worker rendering the awaited item is still alive.
WORKER_POLL_S = 0.5


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


# --- The pool ---------------------------------------------------------------------------------------------


def render_pool(
    workers: int, memory_mb: int = DEFAULT_MEMORY_MB, *, maxtasksperchild: int | None = 1000, warm: bool = False
) -> Pool:
    """A pool of `workers` render processes, each limited to `memory_mb` MB. Use it as a context manager
    (`with render_pool(2, 1024) as pool:`), which terminates it: a worker lost mid-render leaves a result
    that never comes, and `close(); join()` would wait for it forever.

    Spawned, not forked: a fork would copy the main process's database connections and locks. Workers are
    replaced after `maxtasksperchild` renders, so a slow leak in the native libraries never reaches the limit.
    With `warm`, each worker renders a short document as it starts (`pdf.render_worker_init`).
    """
    # Spawned workers start from the environment, not from this process's configured settings.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myhezo.settings")
    context = multiprocessing.get_context("spawn")
    # A SimpleQueue writes at once (a Queue's feeder thread may not send before a crashing worker is gone).
    started = context.SimpleQueue()
    pool = context.Pool(workers, _worker_init, (memory_mb, started, warm), maxtasksperchild)
    pool.started_queue = started  # render_many learns here which worker renders which job
    return pool


def _worker_init(memory_mb: int, started_queue, warm: bool) -> None:
    from . import pdf  # in the worker

    pdf.render_worker_init(memory_mb, started_queue, warm)


def _task(args: tuple) -> bytes:
    from . import pdf  # in the worker

    return pdf.render_task(args)


def render_many(
    pool: Pool,
    items: Iterable[tuple[Key, dict, str]],
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
    return _ordered(pool, _task, jobs, window=window)


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
