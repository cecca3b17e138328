from allauth.account import views as allauth_views
from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views
from desk import metrics
from desk import views as desk_views
from supportdesk import api, docs, views

# A database outage answers 503 (HTML or, under /api/, JSON) wherever it is raised.
handler500 = "supportdesk.outages.server_error"
# The project's styled pages (JSON under /api/); supportdesk/errorpages.py.
handler403 = "supportdesk.errorpages.permission_denied"
handler404 = "supportdesk.errorpages.page_not_found"

# /admin/login/ takes no password itself: it sends people to the one sign-in page, so lock-outs
# and two-factor apply to admins too.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", desk_views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("docs/", docs.docs_page, name="docs"),
    path("docs/<slug:slug>/", docs.docs_page, name="docs_page"),
    # allauth's sign-in under the names the templates and LOGIN_URL have always used.
    path("accounts/login/", allauth_views.login, name="login"),
    path("accounts/logout/", allauth_views.logout, name="logout"),
    path("accounts/email/", account_views.email, name="account_email"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("availability.urls")),
    path("", include("desk.urls")),
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
