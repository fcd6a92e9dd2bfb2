"""Tasks that test_pdf.py sends to spawned render workers; a module of their own, so the workers need not
import the test module (pytest, pypdf and the rest)."""

import os

from migration import pdf


def allocate_bounded(megabytes: int):
    """A bounded render that asks for more memory than the worker may have."""
    try:
        return pdf._bounded(lambda: bytes(megabytes * 1024 * 1024), label="Z-BIG", timeout_s=30)
    except pdf.PdfRenderError as exc:
        return exc


def die_or_echo(value: str) -> str:
    """A worker lost mid-render (as by a crash in a native library) for "die"."""
    if value == "die":
        os._exit(1)
    return value
