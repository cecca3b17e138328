"""/api/v1/: each app contributes its own api/urls.py."""

from django.urls import include, path

urlpatterns = [
    path("", include("accounts.api.urls")),
    path("", include("tickets.api.urls")),
    path("", include("incidents.api.urls")),
    path("", include("rotation.api.urls")),
    path("", include("communities.api.urls")),
    path("", include("availability.api.urls")),
]
