"""Django's Redis cache that does not turn a Redis outage into error pages (issue 7: faults).

The cache holds nothing the portal cannot do without: sessions are read from it but written through to the
database (`cached_db`), and the other users are the throttles (django-ratelimit's counts, the login
throttle's markers). Django's RedisCache raises
`redis.ConnectionError` on every call while Redis is down, which would fail every page that throttles. Here
a call that cannot reach Redis is logged (once a minute per process) and answered as a miss: `get` returns
the default, `add`/`set`/`touch`/`delete` report that nothing was stored, and `incr` raises the ValueError
that django-ratelimit reads as "no count".

What a throttle then does is decided in settings: `RATELIMIT_FAIL_OPEN = True`, so while Redis is down
attempts are allowed rather than refused (see README "Faults" for why).
"""

import logging
import time
from functools import wraps

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
WARN_EVERY_S = 60.0


class _Warned:
    at = float("-inf")


def _warn(operation: str, exc: Exception) -> None:
    now = time.monotonic()
    if now - _Warned.at >= WARN_EVERY_S:
        _Warned.at = now
        logger.warning("Cache unreachable (%s: %r): answered as a miss; throttles fail open.", operation, exc)


def _soft(missing):
    """Run the cache call; when Redis cannot be reached, log and return `missing` (or raise it)."""

    def decorate(method):
        @wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except UNREACHABLE as exc:
                _warn(method.__name__, exc)
                if isinstance(missing, type) and issubclass(missing, Exception):
                    raise missing(f"cache unreachable: {exc!r}") from exc
                return missing(args, kwargs) if callable(missing) else missing

        return wrapper

    return decorate


def _default(args, kwargs):
    return kwargs.get("default", args[1] if len(args) > 1 else None)


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Keeps one `redis.Redis` per connection pool: Django's client builds a new one, with its tables of
    response callbacks, for every cache call (a few hundred Python calls on each page that reads a session)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class FailSoftRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient

    add = _soft(False)(RedisCache.add)
    get = _soft(_default)(RedisCache.get)
    set = _soft(None)(RedisCache.set)
    touch = _soft(False)(RedisCache.touch)
    delete = _soft(False)(RedisCache.delete)
    get_many = _soft(lambda args, kwargs: {})(RedisCache.get_many)
    has_key = _soft(False)(RedisCache.has_key)
    incr = _soft(ValueError)(RedisCache.incr)
    set_many = _soft(lambda args, kwargs: list(args[0]) if args else [])(RedisCache.set_many)
    delete_many = _soft(None)(RedisCache.delete_many)
    clear = _soft(False)(RedisCache.clear)
