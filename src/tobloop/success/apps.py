from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SuccessConfig(AppConfig):
    name = "tobloop.success"
    label = "success"
    verbose_name = "Customer success"

    def ready(self) -> None:
        from tobloop.accounts.facade import AccountPanel, register_account_panel

        register_account_panel(
            AccountPanel(
                key="health",
                url_name="success:account-health",
                order=20,
                wide=True,
                title=_("Health"),
            )
        )
        register_account_panel(
            AccountPanel(
                key="churn-risk",
                url_name="success:account-churn",
                order=21,
                wide=True,
                title=_("Churn risk"),
            )
        )
