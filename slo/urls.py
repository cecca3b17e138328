from django.urls import path

from slo import views

app_name = "slo"
urlpatterns = [
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar.ics", views.calendar_ics, name="calendar_ics"),
]
