from django.apps import AppConfig


class RevenueConfig(AppConfig):
    name = "tobloop.revenue"
    label = "revenue"
    verbose_name = "Revenue"
