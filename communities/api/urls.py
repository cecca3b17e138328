from django.urls import path

from communities.api import views

urlpatterns = [
    path("communities/", views.CommunityListView.as_view(), name="api-communities"),
    path(
        "communities/<slug:slug>/budget/", views.BudgetView.as_view(), name="api-community-budget"
    ),
    path("hubs/", views.HubListView.as_view(), name="api-hubs"),
]
