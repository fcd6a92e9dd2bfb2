from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from two_factor.admin import AdminSiteOTPRequired

from accounts import two_factor

# Engineers pass the second factor before the back office opens (SPEC §3, §7).
admin.site.__class__ = AdminSiteOTPRequired

admin.site.site_header = _("myHEZO back office")
admin.site.site_title = _("myHEZO back office")
admin.site.index_title = _("Service desk")
# The ticket desk needs the width more than a second menu.
admin.site.enable_nav_sidebar = False

# 503 with a page in both languages while the database is unreachable, Django's 500 otherwise (core/views.py).
handler500 = "core.views.server_error"

urlpatterns = [
    path("", include("core.urls")),
    path("", include("portal.urls")),
    path("accounts/", include((two_factor.urlpatterns, "two_factor"))),
    path("accounts/", include("accounts.urls")),
    path("tickets/", include("tickets.urls")),
    path("admin/", admin.site.urls),
]
