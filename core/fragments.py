"""Remembered fragments: HTML that is a pure function of the values it shows.

A ticket list row or a message in a ticket's dialog is drawn from a handful of values (number, title, status…)
and the language. `fragment()` renders its template once for those exact values and then hands out the same
HTML from this process's memory: the key *is* the content, so nothing ever needs invalidating and nobody can
get a fragment without already holding every value in it. The template stays the one place the markup lives.

The memory is bounded (`MYHEZO_FRAGMENT_CACHE_MB`, least recently used first out); a fragment larger than a
hundredth of it is rendered every time.
"""

import threading
from collections import OrderedDict
from collections.abc import Hashable

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import get_language


class _ByteBoundedLRU:
    def __init__(self, budget: int):
        self.budget = budget
        self.used = 0
        self.entries: OrderedDict[Hashable, str] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable) -> str | None:
        with self.lock:
            value = self.entries.get(key)
            if value is not None:
                self.entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: str) -> None:
        size = len(value)
        if size > self.budget // 100:
            return
        with self.lock:
            if key in self.entries:
                return
            self.entries[key] = value
            self.used += size
            while self.used > self.budget:
                _, dropped = self.entries.popitem(last=False)
                self.used -= len(dropped)


_cache = _ByteBoundedLRU(settings.MYHEZO_FRAGMENT_CACHE_MB * 1024 * 1024)


def fragment(template_name: str, **context: Hashable) -> SafeString:
    """`template_name` rendered with `context` (hashable values only) in the active language."""
    return fragment_keyed(template_name, key=tuple(sorted(context.items())), context=context)


def fragment_keyed(template_name: str, *, key: Hashable, context: dict) -> SafeString:
    """`template_name` rendered with `context`, remembered under `key`: the caller vouches that `key` holds
    everything the output depends on besides the language (for a context of objects, such as a form)."""
    key = (template_name, get_language(), key)
    html = _cache.get(key)
    if html is None:
        html = render_to_string(template_name, context)
        _cache.put(key, html)
    return SafeString(html)


def fragments_clear() -> None:
    """For tests that change what a template or a setting draws."""
    with _cache.lock:
        _cache.entries.clear()
        _cache.used = 0
