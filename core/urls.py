from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("contact/", views.contact, name="contact"),
    path("language/", views.language_switch, name="language_switch"),
    path("healthz/", views.healthz, name="healthz"),
]
