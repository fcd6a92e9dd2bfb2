from django.db import connection
from django.utils.functional import SimpleLazyObject
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware as PackageOTPMiddleware

from .backends import device_condition, device_from_persistent_id, session_device


class OTPMiddleware(PackageOTPMiddleware):
    """django-otp's middleware (`request.user.is_verified()`), with its rule unchanged — the device the session
    passed with must still exist, be confirmed and belong to the user — checked in the same SQL statement that
    reads the session's user (accounts/backends.py); the device object is loaded only when a page uses it (the
    login and setup views). The package loads it through the ORM on every request, which cost more than many
    pages' own work (issue 8).

    The user is read here, not lazily: the portal's language middleware reads it on every request anyway, and a
    plain user object spares each of a page's many `request.user` lookups a trip through a lazy proxy."""

    def __call__(self, request):
        if self._is_async:
            return self.__acall__(request)
        user = getattr(request, "user", None)
        if user is not None:
            persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
            token = session_device.set(device_from_persistent_id(persistent_id) if persistent_id else None)
            try:
                user.is_authenticated  # noqa: B018 - Django's lazy user is read now: session, backend, hash
            finally:
                session_device.reset(token)
            # What Django's lazy user read (django.contrib.auth.middleware.get_user keeps it there).
            request.user = self._verify_user_sync(request, getattr(request, "_cached_user", user))
        return self.get_response(request)

    def _verify_user_sync(self, request, user):
        self._init_user_fields(user)
        if user.is_authenticated:
            persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
            device = self._bound_device(persistent_id, user) if persistent_id else None
            if device is None and DEVICE_ID_SESSION_KEY in request.session:
                del request.session[DEVICE_ID_SESSION_KEY]
            user.otp_device = device
        return user

    @staticmethod
    def _bound_device(persistent_id: str, user):
        device = device_from_persistent_id(persistent_id)
        if device is None:
            return None
        model, device_id = device
        checked = getattr(user, "session_device_checked", None)
        if checked is not None and checked[0] == device:
            bound = checked[1]
        else:  # the user was read without the device (another path set request.user): ask now
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {device_condition(model)}", [device_id, user.pk])
                bound = cursor.fetchone()[0]
        return SimpleLazyObject(lambda: model._default_manager.get(pk=device_id)) if bound else None
