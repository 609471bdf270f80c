from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "tobloop.analytics"
    label = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        from tobloop.analytics.logic.deletion import forget_workspace
        from tobloop.platform.facade import on_workspace_deleted

        on_workspace_deleted(forget_workspace)

        from tobloop.accounts.facade import AccountPanel, register_account_panel

        register_account_panel(
            AccountPanel(
                key="usage",
                url_name="analytics:account-usage",
                order=30,
                wide=True,
                title=_("Product usage"),
            )
        )
