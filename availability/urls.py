from django.urls import path

from availability import views
from availability.feeds import status_feed

app_name = "availability"
urlpatterns = [
    # Public, no login.
    path("status/", views.status_page, name="status"),
    path("status/feed/", status_feed, name="feed"),
    path("status/hubs/<slug:slug>/", views.hub_status, name="hub"),
    path("status/incidents/<int:pk>/", views.incident_page, name="incident"),
    # Staff.
    path("maintenance/", views.maintenance, name="maintenance"),
    path("maintenance/<int:pk>/cancel/", views.maintenance_cancel, name="maintenance_cancel"),
    path("maintenance/hubs/<slug:slug>/override/", views.hub_override, name="hub_override"),
]
