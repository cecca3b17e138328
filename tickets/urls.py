from django.urls import path

from tickets import mailhooks, views

app_name = "tickets"
urlpatterns = [
    # Representatives
    path("requests/", views.my_requests, name="my_requests"),
    path("requests/new/", views.request_new, name="new"),
    path("requests/<int:pk>/", views.request_detail, name="detail"),
    path("requests/<int:pk>/received/", views.request_received, name="received"),
    path("requests/<int:pk>/reply/", views.request_reply, name="reply"),
    path("requests/<int:pk>/confirm/", views.request_confirm, name="confirm"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    # Stewards
    path("desk/", views.queue, name="queue"),
    path("desk/bulk/", views.queue_bulk, name="queue_bulk"),
    path("desk/export.csv", views.queue_export, name="queue_export"),
    path("desk/views/", views.saved_view_save, name="saved_view_save"),
    path("desk/views/<int:pk>/", views.saved_view_open, name="saved_view_open"),
    path("desk/views/<int:pk>/delete/", views.saved_view_delete, name="saved_view_delete"),
    path("desk/planning/", views.planning, name="planning"),
    path("desk/communities/", views.community_lookup, name="community_lookup"),
    path("desk/requests/<int:pk>/", views.desk_request, name="desk_request"),
    path("desk/requests/<int:pk>/forms/<str:name>/", views.desk_form, name="desk_form"),
    path("desk/requests/<int:pk>/triage/", views.desk_triage, name="desk_triage"),
    path("desk/requests/<int:pk>/reply/", views.desk_reply, name="desk_reply"),
    path("desk/requests/<int:pk>/note/", views.desk_note, name="desk_note"),
    path("desk/requests/<int:pk>/time/", views.desk_log_time, name="desk_log_time"),
    path("desk/requests/<int:pk>/issue/", views.desk_link_issue, name="desk_link_issue"),
    path("desk/requests/<int:pk>/priority/", views.desk_set_priority, name="desk_set_priority"),
    path("desk/requests/<int:pk>/resolve/", views.desk_resolve, name="desk_resolve"),
    path("desk/requests/<int:pk>/close/", views.desk_close, name="desk_close"),
    path(
        "desk/requests/<int:pk>/duplicate/",
        views.desk_close_as_duplicate,
        name="desk_close_as_duplicate",
    ),
    path("desk/requests/<int:pk>/presence/", views.desk_presence, name="desk_presence"),
    path("desk/mail/", views.incoming_mail, name="incoming_mail"),
    path("desk/mail/<int:pk>/attach/", views.incoming_mail_attach, name="incoming_mail_attach"),
    path("desk/mail/<int:pk>/release/", views.incoming_mail_release, name="incoming_mail_release"),
    path(
        "desk/mail/<int:pk>/original/", views.incoming_mail_original, name="incoming_mail_original"
    ),
    # Providers' inbound e-mail webhooks (anymail), authenticated by ANYMAIL_WEBHOOK_SECRET.
    *mailhooks.urlpatterns_for_providers(),
]
