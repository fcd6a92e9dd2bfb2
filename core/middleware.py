from urllib.parse import parse_qsl

from django.conf import settings
from django.core.exceptions import BadRequest
from django.core.handlers.asgi import ASGIRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import add_never_cache_headers


def language_for_host(host: str) -> str | None:
    """The default language of a portal host: myhezo.pl → pl, www.myhezo.com → en (SPEC §10)."""
    host = host.split(":")[0].rstrip(".").lower()
    for domain, language in settings.LANGUAGE_BY_HOST.items():
        if host == domain or host.endswith("." + domain):
            return language
    return None


def _supported(code: str | None) -> str | None:
    if code and code in dict(settings.LANGUAGES):
        return code
    return None


def language_for_request(request) -> str:
    """The user's preference when logged in, else the switcher's choice, else the host, else the browser."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and _supported(getattr(user, "language", None)):
        return user.language
    chosen = _supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
    if chosen:
        return chosen
    by_host = _supported(language_for_host(request.get_host()))
    if by_host:
        return by_host
    return translation.get_language_from_request(request)


class PortalLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware with the portal's order of language sources."""

    def process_request(self, request):
        language = language_for_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


def query_string_bytes(request) -> bytes:
    """The query string as the client sent it. WSGI (PEP 3333) gives QUERY_STRING as one latin-1 character
    per raw byte; ASGI gives it already decoded as UTF-8."""
    query = request.META.get("QUERY_STRING", "")
    if isinstance(request, ASGIRequest):
        return query.encode("utf-8")
    return query.encode("latin-1")


def query_string_readable(query: bytes) -> bool:
    """Whether every parameter name and value is UTF-8, raw or percent-encoded (`%ff`, `%c3%28` are not),
    and holds no NUL (`%00`). Blank values count: `?%00` is a parameter too."""
    try:
        pairs = parse_qsl(query.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        return False
    return not any("\x00" in name or "\x00" in value for name, value in pairs)


class QueryStringMiddleware:
    """Answers 400 Bad Request to a query string no view can use: a name or value that is not UTF-8, or a NUL;
    and to a path with a NUL (`/tickets/%00/`: PostgreSQL refuses it in the ticket number).

    Django reads such a query string anyway (undecodable bytes become U+FFFD, NUL passes through), and a NUL
    that reaches a query is refused by PostgreSQL: `/tickets/?contract=%00` answered 500. One check here, for
    every view and form field, instead of one per field. BadRequest goes to Django's handler400, which renders
    templates/400.html; the middleware sits after PortalLocaleMiddleware, so that page is in the user's
    language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not query_string_readable(query_string_bytes(request)) or "\x00" in request.path_info:
            raise BadRequest("query string not UTF-8 or with a NUL character, or a NUL in the path")
        return self.get_response(request)


def content_security_policy() -> str:
    """The portal's policy: nothing inline, nothing from another origin, never framed. Every page, the admin
    and the two-factor pages included, works under it (tests/test_browser_csp.py loads them in Chromium)."""
    return "; ".join(f"{directive} {sources}" for directive, sources in settings.MYHEZO_CSP.items())


class SecurityHeadersMiddleware:
    """The headers Django's SecurityMiddleware does not set (ASVS 3.4, 14.3).

    - Content-Security-Policy on every response that does not bring a stricter one of its own (attachment
      downloads send a sandbox policy).
    - `Cache-Control: no-store` on every response to a logged-in user: each of those pages shows ticket,
      contract or personal data (the dashboard, tickets, contracts, account settings, admin), and none may be
      kept by a browser's or a proxy's cache.

    It sits right after SecurityMiddleware, so WhiteNoise's static files get the policy too; `request.user`
    is only looked at when the authentication middleware set it (it is lazy: a page that never touched it
    does not load it here either, unless a session cookie came with the request).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = content_security_policy()

    def __call__(self, request):
        response = self.get_response(request)
        # With DEBUG (`make run`), Django's own error pages are all inline style and script: they stay usable.
        technical_page = settings.DEBUG and response.status_code >= 400
        if "Content-Security-Policy" not in response and not technical_page:
            response["Content-Security-Policy"] = self.policy
        if self._logged_in(request) and "no-store" not in response.get("Cache-Control", ""):
            add_never_cache_headers(response)  # no-cache, no-store, must-revalidate, private
        return response

    @staticmethod
    def _logged_in(request) -> bool:
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return False  # no session, nobody logged in: do not load a user for static files or anonymous pages
        user = getattr(request, "user", None)
        return user is not None and user.is_authenticated
