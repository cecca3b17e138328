from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [
    path("nudges/", views.my_nudges, name="my_nudges"),
    path("nudges/read/", views.mark_all_read, name="mark_all_read"),
]
