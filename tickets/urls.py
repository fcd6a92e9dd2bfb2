from django.urls import path

from . import views

app_name = "tickets"

urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("new/", views.ticket_new, name="new"),
    path("<str:number>/", views.ticket_detail, name="detail"),
    path("<str:number>/reply/", views.ticket_reply, name="reply"),
    path("<str:number>/close/", views.ticket_close, name="close"),
    path("<str:number>/reopen/", views.ticket_reopen, name="reopen"),
    path("<str:number>/partner-access/", views.ticket_partner_access, name="partner_access"),
    path("<str:number>/cc/", views.ticket_cc_add, name="cc_add"),
    path("<str:number>/cc/remove/", views.ticket_cc_remove, name="cc_remove"),
    path("<str:number>/escalate/", views.ticket_escalate, name="escalate"),
    path("<str:number>/attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
]
