from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from supportdesk import api, metrics, views

# A database outage answers 503 (HTML or, under /api/, JSON) wherever it is raised.
handler500 = "supportdesk.outages.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("availability.urls")),
    path("", include("tickets.urls")),
    path("", include("incidents.urls")),
    path("", include("rotation.urls")),
    path("", include("communities.urls")),
    path("", include("notifications.urls")),
    path("", include("slo.urls")),
    path("", include("integrations.urls")),
    path("api/v1/", include("supportdesk.api_urls")),
    path("api/schema/", api.SchemaView.as_view(), name="api-schema"),
    path("api/docs/", api.DocsView.as_view(url_name="api-schema"), name="api-docs"),
]
