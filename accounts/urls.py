from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("accounts/tokens/", views.api_tokens, name="api_tokens"),
    path("accounts/tokens/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
]
