from django.urls import path

from incidents.api import views

urlpatterns = [
    path("incidents/", views.IncidentListView.as_view(), name="api-incidents"),
    path("incidents/<int:pk>/", views.IncidentDetailView.as_view(), name="api-incident"),
    path(
        "incidents/<int:pk>/timeline/",
        views.IncidentTimelineView.as_view(),
        name="api-incident-timeline",
    ),
    path(
        "incidents/<int:pk>/updates/",
        views.IncidentUpdateView.as_view(),
        name="api-incident-updates",
    ),
    path(
        "incidents/<int:pk>/handoff/",
        views.IncidentHandoffView.as_view(),
        name="api-incident-handoff",
    ),
    path(
        "incidents/<int:pk>/acknowledge/",
        views.IncidentAcknowledgeView.as_view(),
        name="api-incident-acknowledge",
    ),
    path(
        "incidents/<int:pk>/escalate/",
        views.IncidentEscalateView.as_view(),
        name="api-incident-escalate",
    ),
    path(
        "incidents/<int:pk>/resolve/",
        views.IncidentResolveView.as_view(),
        name="api-incident-resolve",
    ),
    path(
        "incidents/<int:pk>/confirm/",
        views.IncidentConfirmView.as_view(),
        name="api-incident-confirm",
    ),
    path("incidents/<int:pk>/close/", views.IncidentCloseView.as_view(), name="api-incident-close"),
    path(
        "incidents/<int:pk>/report/", views.IncidentReportView.as_view(), name="api-incident-report"
    ),
    path(
        "incidents/<int:pk>/report/submit/",
        views.ReportSubmitView.as_view(),
        name="api-incident-report-submit",
    ),
    path(
        "incidents/<int:pk>/report/return/",
        views.ReportReturnView.as_view(),
        name="api-incident-report-return",
    ),
    path(
        "incidents/<int:pk>/report/review/",
        views.ReportReviewView.as_view(),
        name="api-incident-report-review",
    ),
]
