from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("myHEZO back office")
admin.site.site_title = _("myHEZO back office")
admin.site.index_title = _("Service desk")

urlpatterns = [
    path("", include("core.urls")),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
]
