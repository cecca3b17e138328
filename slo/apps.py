from django.apps import AppConfig


class SloConfig(AppConfig):
    name = "slo"
    verbose_name = "Working-time calendar and objectives"
