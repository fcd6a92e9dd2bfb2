"""Who is on the other end of a request: the client's IP address (as the proxy reports it) and browser."""

import ipaddress
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class ClientInfo:
    ip: str | None = None
    user_agent: str = ""


def client_ip(request) -> str | None:
    """The client's address: `MYHEZO_CLIENT_IP_META_KEY` behind a proxy that overwrites it, else the socket's."""
    raw = request.META.get(settings.RATELIMIT_IP_META_KEY) or request.META.get("REMOTE_ADDR") or ""
    raw = raw.split(",")[0].strip()
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return None


def throttle_ip(request) -> str:
    """The address that throttling counts: an IPv6 client owns its whole /64, so that is one client."""
    ip = client_ip(request)
    if ip is None:
        return "unknown"
    if ":" in ip:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return ip


def client_info(request) -> ClientInfo:
    if request is None:
        return ClientInfo()
    return ClientInfo(ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", "")[:300])


# The browser and system a User-Agent names, for people reading "Your sessions": the first match wins (Edge and
# Opera say "Chrome" too, Chrome says "Safari", so the specific ones come first).
_BROWSERS = [
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
]
_SYSTEMS = [
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
]


def browser_label(user_agent: str) -> str:
    """ "Firefox, Windows" from a User-Agent header; "" when neither is recognised (never guessed)."""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), "")
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), "")
    return ", ".join(part for part in (browser, system) if part)
