from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "tobloop.analytics"
    label = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        from tobloop.analytics.logic.deletion import forget_workspace
        from tobloop.platform.facade import on_workspace_deleted

        on_workspace_deleted(forget_workspace)
