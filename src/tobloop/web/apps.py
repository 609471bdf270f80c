from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "tobloop.web"
    label = "web"
    verbose_name = "Web"
