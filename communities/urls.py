from django.urls import path

from communities import views

app_name = "communities"
urlpatterns = [
    path("budget/", views.budget, name="budget"),
    path("communities/<slug:slug>/budget/", views.community_budget, name="community_budget"),
    path("communities/<slug:slug>/people/", views.community_people, name="people"),
]
