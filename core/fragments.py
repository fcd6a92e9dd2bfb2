"""Remembered fragments: HTML that is a pure function of the values it shows.

A ticket list row or a message in a ticket's dialog is drawn from a handful of values (number, title,
status…), the language and the time zone. `fragment()` renders its template once for those exact values and
then hands out the same HTML from this process's memory: the key *is* the content, so nothing ever needs
invalidating and nobody can get a fragment without already holding every value in it. The template stays the
one place the markup lives.

The memory is bounded (`MYHEZO_FRAGMENT_CACHE_MB`, least recently used first out); a fragment larger than a
hundredth of it is rendered every time.
"""

import threading
from collections import OrderedDict
from collections.abc import Hashable

from django.conf import settings
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timezone import get_current_timezone_name
from django.utils.translation import get_language

# Where a remembered fragment's forms take their CSRF field, which changes on every request: the template writes
# `{{ csrf_input }}` and `csrf_filled()` puts the field in. Nothing a user types can produce this text: names,
# messages and paths are escaped, so a "<" never reaches the HTML as such.
CSRF_HOLE = SafeString("<!--csrf-->")


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
    """`template_name` rendered with `context` (hashable values only) in the active language and time zone.
    The key is the template, the language, the time zone and every value the template is given: the
    template can draw nothing else, so a remembered fragment is always the one it would draw now."""
    key = (template_name, get_language(), get_current_timezone_name(), tuple(sorted(context.items())))
    html = _cache.get(key)
    if html is None:
        html = render_to_string(template_name, context)
        _cache.put(key, html)
    return SafeString(html)


def csrf_filled(html: str, request) -> SafeString:
    """`html` with each `CSRF_HOLE` replaced by this request's CSRF field (none without a request). The field
    is made once per request (Django masks the token anew on each call, which is all the cost)."""
    if CSRF_HOLE not in html:
        return SafeString(html)
    field = ""
    if request is not None:
        field = getattr(request, "_csrf_field", None)
        if field is None:
            field = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request))
            request._csrf_field = field
    return SafeString(html.replace(CSRF_HOLE, field))


def fragments_clear() -> None:
    """For tests that change what a template or a setting draws."""
    with _cache.lock:
        _cache.entries.clear()
        _cache.used = 0
