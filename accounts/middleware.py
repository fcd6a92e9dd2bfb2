from django.apps import apps
from django.db import connection
from django.utils.functional import SimpleLazyObject
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware as PackageOTPMiddleware
from django_otp.models import Device


class OTPMiddleware(PackageOTPMiddleware):
    """django-otp's middleware (`request.user.is_verified()`), with its rule unchanged — the device the session
    passed with must still exist, be confirmed and belong to the user — checked by one small SQL statement on
    every request; the device object is loaded only when a page uses it (the login and setup views). The
    package loads it through the ORM on every request, which cost more than many pages' own work (issue 8)."""

    def _verify_user_sync(self, request, user):
        self._init_user_fields(user)
        if user.is_authenticated:
            persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
            device = self._bound_device(persistent_id, user) if persistent_id else None
            if device is None and DEVICE_ID_SESSION_KEY in request.session:
                del request.session[DEVICE_ID_SESSION_KEY]
            user.otp_device = device
        return user

    def _bound_device(self, persistent_id: str, user):
        try:
            model_label, device_id = self._normalize_persistent_id(persistent_id).rsplit("/", 1)
            model = apps.get_model(model_label)
            device_id = int(device_id)
        except (ValueError, LookupError):
            return None
        if not issubclass(model, Device):
            return None
        meta, quote = model._meta, connection.ops.quote_name
        table, pk, owner = quote(meta.db_table), quote(meta.pk.column), quote(meta.get_field("user").column)
        confirmed = quote(meta.get_field("confirmed").column)
        # Only the model's quoted table and column names go into the text; the values are parameters.
        sql = f"SELECT 1 FROM {table} WHERE {pk} = %s AND {owner} = %s AND {confirmed}"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, [device_id, user.pk])
            if cursor.fetchone() is None:
                return None
        return SimpleLazyObject(lambda: model._default_manager.get(pk=device_id))
