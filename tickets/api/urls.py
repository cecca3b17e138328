from django.urls import path

from tickets.api import views

urlpatterns = [
    path("requests/", views.RequestListView.as_view(), name="api-requests"),
    path("requests/<int:pk>/", views.RequestDetailView.as_view(), name="api-request"),
    path(
        "requests/<int:pk>/messages/",
        views.RequestMessagesView.as_view(),
        name="api-request-messages",
    ),
    path(
        "requests/<int:pk>/attachments/",
        views.RequestAttachmentsView.as_view(),
        name="api-request-attachments",
    ),
    path("requests/<int:pk>/triage/", views.RequestTriageView.as_view(), name="api-request-triage"),
    path(
        "requests/<int:pk>/time-entries/",
        views.RequestTimeEntriesView.as_view(),
        name="api-request-time-entries",
    ),
    path(
        "requests/<int:pk>/issue/", views.RequestLinkIssueView.as_view(), name="api-request-issue"
    ),
    path(
        "requests/<int:pk>/priority/",
        views.RequestPriorityView.as_view(),
        name="api-request-priority",
    ),
    path(
        "requests/<int:pk>/resolve/", views.RequestResolveView.as_view(), name="api-request-resolve"
    ),
    path(
        "requests/<int:pk>/confirm/", views.RequestConfirmView.as_view(), name="api-request-confirm"
    ),
    path("requests/<int:pk>/reopen/", views.RequestReopenView.as_view(), name="api-request-reopen"),
    path("requests/<int:pk>/close/", views.RequestCloseView.as_view(), name="api-request-close"),
]
