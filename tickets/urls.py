from django.urls import path

from tickets import views

app_name = "tickets"
urlpatterns = [
    path("desk/", views.queue, name="queue"),
    path("requests/", views.my_requests, name="my_requests"),
]
