from django.urls import path

from incidents import views

app_name = "incidents"
urlpatterns = [
    path("status/", views.status_page, name="status"),
]
