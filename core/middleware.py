from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


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
