from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "tobloop.platform"
    label = "platform"
    verbose_name = "Platform"
