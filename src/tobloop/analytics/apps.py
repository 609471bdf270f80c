from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "tobloop.analytics"
    label = "analytics"
    verbose_name = "Analytics"
