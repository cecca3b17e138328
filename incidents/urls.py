from django.urls import path

from incidents import views

app_name = "incidents"
urlpatterns = [
    # Staff: list, declaring, the war room and its actions.
    path("incidents/", views.incident_list, name="list"),
    path("incidents/declare/", views.declare, name="declare"),
    path("incidents/<int:pk>/", views.detail, name="detail"),
    path("incidents/<int:pk>/timeline/", views.timeline, name="timeline"),
    path("incidents/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("incidents/<int:pk>/ack/<str:token>/", views.page_acknowledge, name="page_ack"),
    path("incidents/<int:pk>/entries/", views.add_entry, name="add_entry"),
    path("incidents/<int:pk>/handoff/", views.handoff, name="handoff"),
    path("incidents/<int:pk>/take-command/", views.take_command, name="take_command"),
    path("incidents/<int:pk>/smes/", views.add_sme, name="add_sme"),
    path("incidents/<int:pk>/smes/remove/", views.remove_sme, name="remove_sme"),
    path("incidents/<int:pk>/update/", views.send_update, name="send_update"),
    path("incidents/<int:pk>/escalate/", views.escalate, name="escalate"),
    path("incidents/<int:pk>/resolve/", views.resolve, name="resolve"),
    path("incidents/<int:pk>/impact-start/", views.set_impact_start, name="impact_start"),
    path("incidents/<int:pk>/confirm/", views.confirm, name="confirm"),
    path("incidents/<int:pk>/close/", views.close, name="close"),
    # Staff: the report editor and its review workflow.
    path("incidents/<int:pk>/report/", views.report_edit, name="report_edit"),
    path("incidents/<int:pk>/report/create/", views.report_create, name="report_create"),
    path("incidents/<int:pk>/report/submit/", views.report_submit, name="report_submit"),
    path("incidents/<int:pk>/report/return/", views.report_return, name="report_return"),
    path("incidents/<int:pk>/report/review/", views.report_review, name="report_review"),
    path("incidents/<int:pk>/report/items/", views.action_item_add, name="action_item_add"),
    path(
        "incidents/<int:pk>/report/items/<int:item_pk>/",
        views.action_item_toggle,
        name="action_item_toggle",
    ),
    # Public: the archive of reviewed reports.
    path("reports/", views.report_archive, name="report_archive"),
    path("reports/<int:pk>/", views.report_public, name="report_public"),
    path("reports/<int:pk>.md", views.report_markdown, name="report_markdown"),
    path("reports/<int:pk>.pdf", views.report_pdf, name="report_pdf"),
]
