from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SuccessWorkConfig(AppConfig):
    """Customer-success work: playbooks by tier, tasks, renewals, NPS/CSAT, timeline, alerts."""

    name = "tobloop.success.work"
    label = "success_work"
    verbose_name = "Customer success work"

    def ready(self) -> None:
        from tobloop.accounts.facade import AccountPanel, register_account_panel
        from tobloop.success.work.logic.health_inputs import register_measures

        register_measures()

        register_account_panel(
            AccountPanel(
                key="timeline",
                url_name="success_work:account-timeline",
                order=90,
                wide=True,
                title=_("Timeline"),
            )
        )
        register_account_panel(
            AccountPanel(
                key="nps",
                url_name="success_work:account-nps",
                order=70,
                wide=False,
                title=_("NPS / CSAT"),
            )
        )
