from django.urls import path

from rotation.api import views

urlpatterns = [
    path("rotation/on-duty/", views.OnDutyView.as_view(), name="api-rotation-on-duty"),
    path("rotation/schedule/", views.ScheduleView.as_view(), name="api-rotation-schedule"),
]
