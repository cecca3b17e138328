from django.urls import path

from integrations import views

app_name = "integrations"
urlpatterns = [
    path(
        "desk/requests/<int:pk>/github-issue/",
        views.request_github_issue,
        name="request_github_issue",
    ),
    path(
        "incidents/<int:pk>/github-issue/",
        views.incident_github_issue,
        name="incident_github_issue",
    ),
    path("integrations/github/webhook/", views.github_webhook, name="github_webhook"),
    path("integrations/slack/interactions/", views.slack_interactions, name="slack_interactions"),
    path("integrations/slack/commands/", views.slack_command, name="slack_command"),
    path("status/subscribe/", views.subscribe, name="subscribe"),
    path("status/subscriptions/<str:token>/confirm/", views.confirm, name="confirm"),
    path("status/subscriptions/<str:token>/unsubscribe/", views.unsubscribe, name="unsubscribe"),
]
