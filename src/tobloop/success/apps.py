from django.apps import AppConfig


class SuccessConfig(AppConfig):
    name = "tobloop.success"
    label = "success"
    verbose_name = "Customer success"
