from django.urls import path
from django.views.generic import RedirectView

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
    path("register/done/", views.register_done, name="register_done"),
    path("activate/resend/", views.activation_resend_view, name="activation_resend"),
    path("activate/<str:token>/", views.activate, name="activate"),
    # Where a freshly activated user goes: second-factor enrolment once it lands, the dashboard until then.
    path("activated/", RedirectView.as_view(pattern_name="core:dashboard"), name="after_activation"),
]
