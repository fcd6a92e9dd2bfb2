from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView, TemplateView

from . import views

app_name = "accounts"

urlpatterns = [
    path("language/", views.language_switch, name="language_switch"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
    path("verify/", views.verify, name="verify"),
    path("register/done/", views.register_done, name="register_done"),
    path("settings/", views.account_settings, name="settings"),
    path("settings/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("settings/email/", views.email_change, name="email_change"),
    path("settings/data/", views.data_export, name="data_export"),
    path("settings/sessions/<int:pk>/end/", views.session_end, name="session_end"),
    path("settings/sessions/end-others/", views.sessions_end_others, name="sessions_end_others"),
    path("settings/delete/", views.account_delete, name="account_delete"),
    path("settings/email/confirm/<str:token>/", views.email_change_confirm_view, name="email_change_confirm"),
    path("reauthenticate/", views.reauthenticate, name="reauthenticate"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        TemplateView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path("password/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path(
        "password/reset/complete/",
        TemplateView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path("activate/resend/", views.activation_resend_view, name="activation_resend"),
    path("activate/<str:token>/", views.activate, name="activate"),
    # A freshly activated user enrols the second factor before anything else.
    path("activated/", RedirectView.as_view(pattern_name="two_factor:setup"), name="after_activation"),
]
