from django.urls import path

from rotation import views

app_name = "rotation"
urlpatterns = [
    path("rotation/", views.schedule, name="schedule"),
    path("rotation/<int:engineer_id>.ics", views.engineer_ics, name="engineer_ics"),
    path("rotation/ics/<str:token>.ics", views.ics_feed, name="ics_feed"),
]
