from django.urls import path

from availability.api import views

urlpatterns = [
    path(
        "alerts/alertmanager/",
        views.AlertmanagerWebhookView.as_view(),
        name="alerts-alertmanager",
    ),
    path("hubs/<slug:slug>/events/", views.HubEventView.as_view(), name="hub-events"),
]
